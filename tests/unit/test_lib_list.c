/* Unit tests of <lib/list.h>, the intrusive doubly linked list. */
#include "unit.h"
#include <lib/list.h>

struct item {
	int value;
	struct list_head link;
};

/* The values in list order, as a string like "123". */
static const char *order(struct list_head *head)
{
	static char buf[32];
	struct item *it;
	size_t n = 0;

	list_for_each_entry(it, head, link) buf[n++] = (char)('0' + it->value);
	buf[n] = '\0';
	return buf;
}

TEST(list_add_del_iterate)
{
	struct list_head head = LIST_HEAD_INIT(head);
	struct item items[5];
	struct item *it, *tmp;

	CHECK(list_empty(&head));
	CHECK_STR(order(&head), "");
	for (int i = 0; i < 5; i++) {
		items[i].value = i;
		if (i % 2)
			list_add(&items[i].link, &head);
		else
			list_add_tail(&items[i].link, &head);
	}
	CHECK(!list_empty(&head));
	CHECK_STR(order(&head), "31024");
	CHECK(list_first_entry(&head, struct item, link) == &items[3]);
	CHECK(container_of(&items[2].link, struct item, link) == &items[2]);
	list_del(&items[0].link);
	CHECK_STR(order(&head), "3124");
	CHECK(list_empty(&items[0].link)); /* a deleted node is detached */
	list_del(&items[0].link);	   /* and deleting it again is harmless */
	CHECK_STR(order(&head), "3124");
	/* Delete odd values while iterating. */
	list_for_each_entry_safe(it, tmp, &head, link) if (it->value % 2) list_del(&it->link);
	CHECK_STR(order(&head), "24");
	list_for_each_entry_safe(it, tmp, &head, link) list_del(&it->link);
	CHECK(list_empty(&head));
	list_init(&head);
	CHECK(list_empty(&head));
}

int main(void)
{
	RUN(list_add_del_iterate);
	return unit_summary();
}
