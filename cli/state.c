/*
 * Instance state on the host: one directory per instance under
 * $XDG_RUNTIME_DIR/monos/instances (else /tmp/monos-UID/instances, which
 * must be ours and mode 0700), named by the instance's id (16 hex digits
 * from getrandom).  It holds:
 *   record      "key=value" lines: what `ps` and `inspect` show.  Written
 *               whole to record.tmp and renamed over, so a reader sees the
 *               old record or the new one, never half of one.
 *   lock        flock(LOCK_EX) held by the monitor for its whole life (its
 *               fd is inherited across fork, never across exec): an
 *               instance is live exactly while the lock is held, so a
 *               killed monitor or a host reboot (a tmpfs runtime directory
 *               empties; a lock never survives its holder) leaves nothing
 *               listed as running, and no pid that may be reused is trusted.
 *   log         the program's stdout and stderr, as the monitor wrote them
 *   sock        the monitor's control socket (monitor.c)
 *   image.cpio  the image the monitor boots (repacked per boot)
 * Names are unique among the instances present (live or not, until rm):
 * creating one holds the base directory's .lock while it looks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"

#define STATE_DIR_MODE 0700 /* instances' directories: the owner only */

bool state_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (!n || n > STATE_NAME_MAX || !strchr(STATE_NAME_FIRST, name[0]))
		return false;
	return strspn(name, STATE_NAME_FIRST "_.-") == n;
}

/* mkdir that accepts an existing directory which is ours and private. */
static int make_private_dir(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(path, STATE_DIR_MODE) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077)) {
		snprintf(err, errlen, "%s is not a private directory of this user", path);
		return -1;
	}
	return 0;
}

int state_base(char *out, size_t n, char *err, size_t errlen)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char top[STATE_PATH_MAX];
	int len;

	if (xdg && xdg[0] == '/')
		len = snprintf(top, sizeof(top), "%s/monos", xdg);
	else
		len = snprintf(top, sizeof(top), "/tmp/monos-%u", (unsigned)geteuid());
	if (len < 0 || (size_t)len >= sizeof(top) ||
	    (size_t)snprintf(out, n, "%s/instances", top) >= n) {
		snprintf(err, errlen, "the runtime directory's path is too long");
		return -1;
	}
	if (make_private_dir(top, err, errlen) < 0 || make_private_dir(out, err, errlen) < 0)
		return -1;
	return 0;
}

int state_path(char *out, size_t n, const char *dir, const char *file)
{
	int len = snprintf(out, n, "%s/%s", dir, file);

	return len < 0 || (size_t)len >= n ? -1 : 0;
}

bool state_live(const char *dir)
{
	char path[STATE_PATH_MAX];
	int fd;
	bool live;

	if (state_path(path, sizeof(path), dir, "lock") < 0)
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	live = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return live;
}

int state_lock(const char *dir)
{
	char path[STATE_PATH_MAX];
	int fd;

	if (state_path(path, sizeof(path), dir, "lock") < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		return e == EWOULDBLOCK ? -EBUSY : -e;
	}
	return fd;
}

int state_write(const char *dir, const char *text)
{
	char tmp[STATE_PATH_MAX], path[STATE_PATH_MAX];
	int fd, rc = 0;

	if (state_path(tmp, sizeof(tmp), dir, "record.tmp") < 0 ||
	    state_path(path, sizeof(path), dir, "record") < 0)
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	rc = msg_write_full(fd, text, strlen(text));
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	return rc;
}

int state_read(const char *dir, struct state_record *r)
{
	char path[STATE_PATH_MAX];
	ssize_t len;
	int fd;

	memset(r, 0, sizeof(*r));
	if (state_path(path, sizeof(path), dir, "record") < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, r->buf, sizeof(r->buf) - 1);
	close(fd);
	if (len < 0)
		return -EIO;
	r->buf[len] = '\0';
	for (char *line = r->buf, *next; *line && r->n < STATE_MAX_KEYS; line = next) {
		char *eq;

		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		r->key_off[r->n] = (uint16_t)(line - r->buf);
		r->val_off[r->n++] = (uint16_t)(eq + 1 - r->buf);
	}
	snprintf(r->dir, sizeof(r->dir), "%s", dir);
	r->live = state_live(dir);
	return 0;
}

const char *state_get(const struct state_record *r, const char *key)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->buf + r->key_off[i], key))
			return r->buf + r->val_off[i];
	return "";
}

long long state_get_num(const struct state_record *r, const char *key, long long dflt)
{
	const char *v = state_get(r, key);
	char *end;
	long long n;

	if (!*v)
		return dflt;
	n = strtoll(v, &end, 10);
	return *end ? dflt : n;
}

const char *state_shown(const struct state_record *r)
{
	const char *s = state_get(r, "state");

	if (r->live)
		return *s ? s : "created";
	return "exited"; /* whatever it said: nothing of it is alive */
}

int state_list(struct state_record **out, size_t *n, char *err, size_t errlen)
{
	char base[STATE_PATH_MAX], dir[STATE_PATH_MAX];
	struct state_record *recs = NULL, *grown;
	size_t count = 0;
	struct dirent *d;
	DIR *dp;

	*out = NULL;
	*n = 0;
	if (state_base(base, sizeof(base), err, errlen) < 0)
		return -1;
	dp = opendir(base);
	if (!dp) {
		snprintf(err, errlen, "cannot read %s: %s", base, strerror(errno));
		return -1;
	}
	while ((d = readdir(dp))) {
		if (strlen(d->d_name) != STATE_ID_LEN ||
		    strspn(d->d_name, "0123456789abcdef") != STATE_ID_LEN)
			continue;
		if (state_path(dir, sizeof(dir), base, d->d_name) < 0)
			continue;
		grown = realloc(recs, (count + 1) * sizeof(*recs));
		if (!grown)
			break;
		recs = grown;
		if (state_read(dir, &recs[count]) == 0)
			count++;
	}
	closedir(dp);
	*out = recs;
	*n = count;
	return 0;
}

int state_find(const char *what, struct state_record *r, char *err, size_t errlen)
{
	struct state_record *recs;
	size_t n, hit = 0, nhits = 0;

	if (state_list(&recs, &n, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) /* a name or a whole id wins */
		if (!strcmp(state_get(&recs[i], "name"), what) ||
		    !strcmp(state_get(&recs[i], "id"), what)) {
			hit = i, nhits = 1;
			goto found;
		}
	for (size_t i = 0; *what && i < n; i++)
		if (!strncmp(state_get(&recs[i], "id"), what, strlen(what)))
			hit = i, nhits++;
	if (nhits != 1) {
		snprintf(err, errlen,
			 nhits ? "'%s' is ambiguous: %zu instances' ids start so"
			       : "no such instance: %s",
			 what, nhits);
		free(recs);
		return -1;
	}
found:
	memcpy(r, &recs[hit], sizeof(*r));
	free(recs);
	return 0;
}

/* A free name: 0, or -1 with the reason in `err`. */
static int name_free(const char *name, char *err, size_t errlen)
{
	struct state_record *recs;
	size_t n;
	int rc = 0;

	if (state_list(&recs, &n, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < n && !rc; i++)
		if (!strcmp(state_get(&recs[i], "name"), name)) {
			snprintf(err, errlen,
				 "the name '%s' is in use by instance %.12s (remove it with "
				 "'monos rm')",
				 name, state_get(&recs[i], "id"));
			rc = -1;
		}
	free(recs);
	return rc;
}

/* 16 hex digits of getrandom. */
static int new_id(char id[STATE_ID_LEN + 1])
{
	uint64_t v;

	if (getrandom(&v, sizeof(v), 0) != sizeof(v))
		return -1;
	snprintf(id, STATE_ID_LEN + 1, "%016llx", (unsigned long long)v);
	return 0;
}

int state_create(const char *name, char *dir, size_t dirlen, char id[STATE_ID_LEN + 1], char *err,
		 size_t errlen)
{
	char base[STATE_PATH_MAX], lockp[STATE_PATH_MAX], path[STATE_PATH_MAX], rec[256];
	char fresh[STATE_ID_LEN + 1];
	int lfd = -1, rc = -1;

	if (state_base(base, sizeof(base), err, errlen) < 0 ||
	    state_path(lockp, sizeof(lockp), base, ".lock") < 0)
		return -1;
	lfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lfd < 0 || flock(lfd, LOCK_EX) < 0) {
		snprintf(err, errlen, "cannot lock %s: %s", lockp, strerror(errno));
		goto out;
	}
	if (new_id(fresh) < 0 || state_path(path, sizeof(path), base, fresh) < 0 ||
	    strlen(path) >= dirlen) {
		snprintf(err, errlen, "cannot make an instance id");
		goto out;
	}
	if (name_free(name ? name : fresh, err, errlen) < 0)
		goto out;
	if (mkdir(path, STATE_DIR_MODE) < 0) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		goto out;
	}
	/* The name is taken from here on: a record holds it. */
	snprintf(rec, sizeof(rec), "id=%s\nname=%.*s\nstate=created\n", fresh, STATE_NAME_MAX,
		 name ? name : fresh);
	if (state_write(path, rec) < 0) {
		snprintf(err, errlen, "cannot write the record in %s", path);
		state_remove(path);
		goto out;
	}
	memcpy(id, fresh, sizeof(fresh)); /* the caller's, only on success */
	snprintf(dir, dirlen, "%s", path);
	rc = 0;
out:
	if (lfd >= 0)
		close(lfd);
	return rc;
}

int state_remove(const char *dir)
{
	char path[STATE_PATH_MAX];
	struct dirent *d;
	DIR *dp = opendir(dir);

	if (!dp)
		return -errno;
	while ((d = readdir(dp)))
		if (d->d_name[0] != '.' && state_path(path, sizeof(path), dir, d->d_name) == 0)
			unlink(path);
	closedir(dp);
	return rmdir(dir) < 0 ? -errno : 0;
}

void state_json_quote(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

int state_sock_addr(const char *dir, struct sockaddr_un *sa, int *dfd)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	*dfd = -1;
	if (state_path(sa->sun_path, sizeof(sa->sun_path), dir, "sock") == 0)
		return 0;
	/* Too long for sun_path (108 bytes): name the directory through an
	 * O_PATH descriptor of it, which /proc/self/fd resolves. */
	*dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dfd < 0)
		return -errno;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/sock", *dfd);
	return 0;
}
