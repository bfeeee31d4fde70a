/*
 * Intrusive circular doubly linked lists, as in Linux: a struct list_head is
 * embedded in each element and in the list's head; an empty list's head
 * points at itself.  Header only.  No locking: the owner of the list
 * serialises access.
 */
#ifndef LIB_LIST_H
#define LIB_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list_head {
	struct list_head *next, *prev;
};

/* container_of - the structure of type @type whose @member is at @ptr. */
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* A head initialised at compile time: struct list_head l = LIST_HEAD_INIT(l); */
#define LIST_HEAD_INIT(name)                                                                       \
	{                                                                                          \
		&(name), &(name)                                                                   \
	}

/* list_init - make @head an empty list (or @head a detached element). */
static inline void list_init(struct list_head *head)
{
	head->next = head;
	head->prev = head;
}

static inline void list_insert_between(struct list_head *n, struct list_head *prev,
				       struct list_head *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	prev->next = n;
}

/* list_add - insert @n right after @head (at the front: a stack). */
static inline void list_add(struct list_head *n, struct list_head *head)
{
	list_insert_between(n, head, head->next);
}

/* list_add_tail - insert @n right before @head (at the back: a queue). */
static inline void list_add_tail(struct list_head *n, struct list_head *head)
{
	list_insert_between(n, head->prev, head);
}

/*
 * list_del - unlink @entry from its list.  @entry is left detached and empty
 * (pointing at itself), so deleting it twice or testing list_empty() on it
 * is safe.
 */
static inline void list_del(struct list_head *entry)
{
	entry->prev->next = entry->next;
	entry->next->prev = entry->prev;
	list_init(entry);
}

/* list_empty - whether the list at @head has no elements. */
static inline bool list_empty(const struct list_head *head)
{
	return head->next == head;
}

/* list_entry - the element of type @type containing list node @ptr. */
#define list_entry(ptr, type, member) container_of(ptr, type, member)

/* list_first_entry - the first element of a non-empty list. */
#define list_first_entry(head, type, member) list_entry((head)->next, type, member)

/* list_for_each_entry - iterate @pos over the elements; do not delete @pos. */
#define list_for_each_entry(pos, head, member)                                                     \
	for (pos = list_entry((head)->next, __typeof__(*pos), member); &pos->member != (head);     \
	     pos = list_entry(pos->member.next, __typeof__(*pos), member))

/* list_for_each_entry_safe - as list_for_each_entry, but @pos may be deleted. */
#define list_for_each_entry_safe(pos, tmp, head, member)                                           \
	for (pos = list_entry((head)->next, __typeof__(*pos), member),                             \
	    tmp = list_entry(pos->member.next, __typeof__(*pos), member);                          \
	     &pos->member != (head);                                                               \
	     pos = tmp, tmp = list_entry(tmp->member.next, __typeof__(*pos), member))

#endif
