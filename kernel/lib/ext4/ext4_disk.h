/*
 * ext4's on-disk formats and the helpers shared by the files of kernel/lib/ext4/.
 * The reference for every layout and constant here is Linux's
 * fs/ext4/ext4.h, fs/ext4/ext4_extents.h and include/linux/jbd2.h, and the
 * kernel's Documentation/filesystems/ext4/ (the "ext4 Data Structures and
 * Algorithms" pages).  ext4 is little-endian, as both the kernel and the
 * host that builds monos are (x86-64); jbd2 is big-endian (journal.c).
 */
#ifndef EXT4_DISK_H
#define EXT4_DISK_H

#include <lib/ext4.h>

#define EXT4_SB_OFFSET	      1024   /* the superblock's byte offset on the disk */
#define EXT4_SB_MAGIC	      0xEF53 /* s_magic */
#define EXT4_MIN_LOG_BS	      0	     /* 1 KiB blocks ... */
#define EXT4_MAX_LOG_BS	      6	     /* ... to 64 KiB */
#define EXT4_GOOD_OLD_REV     0	     /* s_rev_level: fixed 128-byte inodes, first inode 11 */
#define EXT4_OLD_INO_SIZE     128
#define EXT4_OLD_FIRST_INO    11
#define EXT4_MIN_DESC_SIZE    32
#define EXT4_MIN_DESC_SIZE_64 64
#define EXT4_CRC32C_CHKSUM    1 /* s_checksum_type */

/* The superblock's fields we use, at their byte offsets (struct ext4_super_block). */
struct ext4_sb {
	uint32_t inodes_count, blocks_count_lo, r_blocks_count_lo, free_blocks_count_lo;
	uint32_t free_inodes_count, first_data_block, log_block_size, log_cluster_size;
	uint32_t blocks_per_group, clusters_per_group, inodes_per_group, mtime, wtime;
	uint16_t mnt_count, max_mnt_count, magic, state, errors, minor_rev_level;
	uint32_t lastcheck, checkinterval, creator_os, rev_level;
	uint16_t def_resuid, def_resgid;
	uint32_t first_ino;
	uint16_t inode_size, block_group_nr;
	uint32_t feature_compat, feature_incompat, feature_ro_compat;
	uint8_t uuid[16];
	char volume_name[16], last_mounted[64];
	uint32_t algorithm_usage_bitmap;
	uint8_t prealloc_blocks, prealloc_dir_blocks;
	uint16_t reserved_gdt_blocks;
	uint8_t journal_uuid[16];
	uint32_t journal_inum, journal_dev, last_orphan, hash_seed[4];
	uint8_t def_hash_version, jnl_backup_type;
	uint16_t desc_size;
	uint32_t default_mount_opts, first_meta_bg, mkfs_time, jnl_blocks[17];
	uint32_t blocks_count_hi, r_blocks_count_hi, free_blocks_count_hi; /* 0x150 */
	uint16_t min_extra_isize, want_extra_isize;
	uint32_t flags;
	uint16_t raid_stride, mmp_interval;
	uint64_t mmp_block;
	uint32_t raid_stripe_width;
	uint8_t log_groups_per_flex, checksum_type; /* 0x174 */
	uint8_t pad_to_seed[0x270 - 0x176];
	uint32_t checksum_seed; /* 0x270 */
	uint8_t pad_to_csum[0x3fc - 0x274];
	uint32_t checksum; /* 0x3fc: crc32c of the bytes before it */
} __attribute__((packed));

_Static_assert(sizeof(struct ext4_sb) == 1024, "ext4_sb layout");

#define EXT4_FEATURE_COMPAT_HAS_JOURNAL	     0x0004
#define EXT4_FEATURE_COMPAT_SPARSE_SUPER2    0x0200
#define EXT4_FEATURE_INCOMPAT_FILETYPE	     0x0002
#define EXT4_FEATURE_INCOMPAT_RECOVER	     0x0004
#define EXT4_FEATURE_INCOMPAT_EXTENTS	     0x0040
#define EXT4_FEATURE_INCOMPAT_64BIT	     0x0080
#define EXT4_FEATURE_INCOMPAT_FLEX_BG	     0x0200
#define EXT4_FEATURE_INCOMPAT_CSUM_SEED	     0x2000
#define EXT4_FEATURE_RO_COMPAT_SPARSE_SUPER  0x0001
#define EXT4_FEATURE_RO_COMPAT_LARGE_FILE    0x0002
#define EXT4_FEATURE_RO_COMPAT_HUGE_FILE     0x0008
#define EXT4_FEATURE_RO_COMPAT_GDT_CSUM	     0x0010
#define EXT4_FEATURE_RO_COMPAT_DIR_NLINK     0x0020
#define EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE   0x0040
#define EXT4_FEATURE_RO_COMPAT_METADATA_CSUM 0x0400

/* A group descriptor (struct ext4_group_desc): 32 bytes, or 64 with 64bit. */
struct ext4_gd {
	uint32_t block_bitmap_lo, inode_bitmap_lo, inode_table_lo;
	uint16_t free_blocks_count_lo, free_inodes_count_lo, used_dirs_count_lo, flags;
	uint32_t exclude_bitmap_lo;
	uint16_t block_bitmap_csum_lo, inode_bitmap_csum_lo, itable_unused_lo, checksum;
	/* the rest exists only when desc_size >= 64 */
	uint32_t block_bitmap_hi, inode_bitmap_hi, inode_table_hi;
	uint16_t free_blocks_count_hi, free_inodes_count_hi, used_dirs_count_hi, itable_unused_hi;
	uint32_t exclude_bitmap_hi;
	uint16_t block_bitmap_csum_hi, inode_bitmap_csum_hi;
	uint32_t reserved;
} __attribute__((packed));

_Static_assert(sizeof(struct ext4_gd) == 64, "ext4_gd layout");
#define EXT4_GD_CSUM_OFFSET 0x1e /* offsetof(struct ext4_gd, checksum) */

/* An inode (struct ext4_inode): 128 bytes, then i_extra_isize more. */
struct ext4_raw_inode {
	uint16_t mode, uid_lo;
	uint32_t size_lo, atime, ctime, mtime, dtime;
	uint16_t gid_lo, links_count;
	uint32_t blocks_lo, flags, version;
	uint8_t block[60];
	uint32_t generation, file_acl_lo, size_high, obso_faddr;
	uint16_t blocks_high, file_acl_high, uid_high, gid_high, checksum_lo, reserved;
	/* 0x80: the extra part, present when i_extra_isize covers it */
	uint16_t extra_isize, checksum_hi;
	uint32_t ctime_extra, mtime_extra, atime_extra, crtime, crtime_extra;
	uint32_t version_hi, projid;
} __attribute__((packed));

_Static_assert(sizeof(struct ext4_raw_inode) == 0xa0, "ext4_raw_inode layout");
#define EXT4_INODE_CSUM_LO_OFFSET 0x7c
#define EXT4_INODE_CSUM_HI_OFFSET 0x82
#define EXT4_INODE_CSUM_HI_EXTRA  4 /* i_extra_isize that covers i_checksum_hi */

#define EXT4_HUGE_FILE_FL   0x00040000 /* i_blocks counts fs blocks, not 512-byte ones */
#define EXT4_EXTENTS_FL	    0x00080000
#define EXT4_INDEX_FL	    0x00001000 /* htree directory */
#define EXT4_EA_INODE_FL    0x00200000
#define EXT4_INLINE_DATA_FL 0x10000000

#define EXT4_BG_INODE_UNINIT 0x0001 /* bg_flags: inode bitmap and table not initialised */
#define EXT4_BG_BLOCK_UNINIT 0x0002 /* bg_flags: block bitmap not initialised */

#define EXT4_DIR_SIZE_MAX (1ull << 31) /* a directory's size limit without large_dir */

#define EXT4_S_IFMT   0170000
#define EXT4_S_IFSOCK 0140000
#define EXT4_S_IFCHR  0020000
#define EXT4_S_IFBLK  0060000
#define EXT4_S_IFIFO  0010000
#define EXT4_S_IFLNK  0120000
#define EXT4_S_IFREG  0100000
#define EXT4_S_IFDIR  0040000

/* Extent trees (fs/ext4/ext4_extents.h). */
#define EXT4_EXT_MAGIC	       0xF30A
#define EXT4_EXT_MAX_DEPTH     5     /* EXT4_MAX_EXTENT_DEPTH */
#define EXT4_EXT_INIT_MAX      32768 /* ee_len above this marks an unwritten extent */
#define EXT4_EXT_UNWRITTEN_MAX 32767 /* EXT_UNWRITTEN_MAX_LEN: the longest unwritten extent */
struct ext4_extent_header {
	uint16_t magic, entries, max, depth;
	uint32_t generation;
} __attribute__((packed));
struct ext4_extent {
	uint32_t block;
	uint16_t len, start_hi;
	uint32_t start_lo;
} __attribute__((packed));
struct ext4_extent_idx {
	uint32_t block, leaf_lo;
	uint16_t leaf_hi, unused;
} __attribute__((packed));

/* Block maps of inodes without EXT4_EXTENTS_FL (ext2/ext3 style). */
#define EXT4_NDIR_BLOCKS 12
#define EXT4_IND_BLOCK	 12
#define EXT4_DIND_BLOCK	 13
#define EXT4_TIND_BLOCK	 14

/* Directory entries (struct ext4_dir_entry_2) and the checksum tail. */
struct ext4_dir_entry {
	uint32_t inode;
	uint16_t rec_len;
	uint8_t name_len, file_type;
	char name[];
} __attribute__((packed));
#define EXT4_DIR_ENTRY_HEAD 8
#define EXT4_DIR_TAIL_SIZE  12
#define EXT4_DIR_TAIL_FT    0xDE /* file_type of the fake entry holding the checksum */

/* kernel/lib/ext4/super.c */
uint16_t ext4_gd_csum(const struct ext4_fs *fs, uint32_t group);
uint32_t ext4_csum(const struct ext4_fs *fs, uint32_t seed, const void *buf, size_t len);
int ext4_read_block(struct ext4_fs *fs, uint64_t blk, void *buf);
int ext4_write_block(struct ext4_fs *fs, uint64_t blk, const void *buf);
struct ext4_gd *ext4_gd(const struct ext4_fs *fs, uint32_t group);
uint64_t ext4_gd_inode_table(const struct ext4_fs *fs, const struct ext4_gd *gd);
int ext4_super_write(struct ext4_fs *fs);

/* kernel/lib/ext4/inode.c */
uint32_t ext4_inode_csum(const struct ext4_fs *fs, const uint8_t *raw, uint32_t seed);

/* kernel/lib/ext4/alloc.c */
int ext4_gd_write(struct ext4_fs *fs, uint32_t group);
int ext4_alloc_block(struct ext4_fs *fs, uint64_t goal, uint64_t *blk);
int ext4_free_blocks(struct ext4_fs *fs, uint64_t blk, uint32_t count);
int ext4_alloc_inode(struct ext4_fs *fs, uint32_t near_ino, bool dir, uint32_t *ino);
int ext4_free_inode(struct ext4_fs *fs, uint32_t ino, bool dir);

/* kernel/lib/ext4/extent.c: ext4_get_block maps @lblk (a hole) to a new
 * block, ext4_map_block too, as an unwritten extent if asked;
 * ext4_ext_convert makes @lblk, in an unwritten extent, written (zeroed);
 * ext4_ext_trim frees every block from @from.  Each writes the leaves it
 * changes; the caller writes the inode (ext4_ext_convert writes it). */
int ext4_get_block(struct ext4_fs *fs, struct ext4_inode *in, uint32_t lblk, uint64_t *pblk);
int ext4_map_block(struct ext4_fs *fs, struct ext4_inode *in, uint32_t lblk, uint64_t *pblk,
		   bool unwritten);
int ext4_ext_convert(struct ext4_fs *fs, struct ext4_inode *in, uint32_t lblk);
int ext4_ext_trim(struct ext4_fs *fs, struct ext4_inode *in, uint32_t from);

/* kernel/lib/ext4/write.c */
void ext4_touch(struct ext4_fs *fs, struct ext4_inode *in, bool mtime);
int ext4_release_blocks(struct ext4_fs *fs, struct ext4_inode *in);
int64_t ext4_write_file(struct ext4_fs *fs, struct ext4_inode *in, uint64_t off, const void *buf,
			size_t len);

/* kernel/lib/ext4/dir.c */
uint32_t ext4_rec_len_min(uint32_t name_len);
int ext4_dir_block(struct ext4_fs *fs, const struct ext4_inode *dir, uint32_t lblk, bool *dx,
		   uint32_t *hole);
int ext4_dir_entry_ok(const struct ext4_fs *fs, const struct ext4_dir_entry *de, uint32_t off,
		      uint32_t *rec_len);

/* kernel/lib/ext4/dir_write.c: entries into the leaf in fs->data, leaves written with their tail */
int ext4_dir_leaf_add(struct ext4_fs *fs, const char *name, size_t len, uint32_t ino, uint8_t ft);
int ext4_dir_leaf_write(struct ext4_fs *fs, const struct ext4_inode *dir, uint64_t pblk);
int ext4_dir_leaf_write_buf(struct ext4_fs *fs, const struct ext4_inode *dir, uint64_t pblk,
			    uint8_t *buf);
/* kernel/lib/ext4/htree.c: hash-tree directories.  -EOPNOTSUPP: the
 * directory is not indexed, or by an index this code cannot use. */
int ext4_dx_find(struct ext4_fs *fs, const struct ext4_inode *dir, const char *name, size_t len,
		 int (*scan)(struct ext4_fs *fs, uint32_t lblk, void *arg), void *arg);
bool ext4_dx_hashed_listing(const struct ext4_fs *fs, const struct ext4_inode *dir);
int ext4_dx_readdir(struct ext4_fs *fs, const struct ext4_inode *dir, struct ext4_dir_pos *pos,
		    struct ext4_dirent *out);
int ext4_dx_add_entry(struct ext4_fs *fs, struct ext4_inode *dir, const char *name, size_t len,
		      uint32_t ino, uint8_t ft);
int ext4_dx_set_dotdot(struct ext4_fs *fs, const struct ext4_inode *dir, uint32_t parent);
size_t ext4_dxmap_size(const struct ext4_fs *fs);
size_t ext4_dxlist_size(const struct ext4_fs *fs);
int ext4_write_data(struct ext4_fs *fs, uint64_t blk, const void *buf);
int ext4_write_data_n(struct ext4_fs *fs, uint64_t blk, uint32_t n, const void *buf);

/* kernel/lib/ext4/journal.c: replay, and the running transaction of a writable mount */
int ext4_journal_replay(struct ext4_fs *fs);
/* Whether the log holds nothing to replay (its s_start is 0): 1 or 0, or
 * -errno (no journal: -EUCLEAN; a bad journal superblock). */
int ext4_journal_empty(struct ext4_fs *fs);
int ext4_journal_open(struct ext4_fs *fs);
void ext4_journal_close(struct ext4_fs *fs);
bool ext4_journal_read(struct ext4_fs *fs, uint64_t blk, void *buf);
int ext4_journal_dirty(struct ext4_fs *fs, uint64_t blk, const void *buf);
int ext4_journal_freed(struct ext4_fs *fs, uint64_t blk, uint32_t count);
bool ext4_journal_was_freed(const struct ext4_fs *fs, uint64_t blk);
int ext4_journal_commit(struct ext4_fs *fs);
int ext4_journal_checkpoint(struct ext4_fs *fs);
void ext4_journal_dsync(struct ext4_fs *fs, uint32_t ino);
int ext4_journal_sync_data(struct ext4_fs *fs, uint32_t ino);
int ext4_journal_room(struct ext4_fs *fs);

static inline uint64_t ext4_lo_hi(uint32_t lo, uint32_t hi)
{
	return (uint64_t)hi << 32 | lo;
}

#endif
