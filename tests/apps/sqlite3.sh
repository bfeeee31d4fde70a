# sqlite3 from Debian, unmodified: a SQL script against a database in tmpfs,
# and a query against a database passed with --file.
source tests/cli/lib/common.bash
source tests/apps/lib.bash
need /usr/bin/sqlite3

db=/tmp/monos-app-sqlite-$$.db # natively in the host's /tmp, in monos in tmpfs
cat >"$scratch/script.sql" <<SQL
.bail on
create table fruit(id integer primary key, name text not null, price real, qty int);
insert into fruit(name, price, qty) values ('apple', 0.5, 10), ('pear', 0.75, 4),
  ('plum', 0.2, 30), ('fig', 1.25, 2), ('kiwi', 0.6, 12);
create index fruit_price on fruit(price);
create table orders(fruit_id int references fruit(id), n int);
with recursive seq(x) as (select 1 union all select x + 1 from seq where x < 2000)
  insert into orders select (x % 5) + 1, x % 7 from seq;
select name, printf('%.2f', price * qty) from fruit order by price desc;
select f.name, count(*), sum(o.n) from orders o join fruit f on f.id = o.fruit_id
  group by f.name order by 3 desc;
select group_concat(upper(substr(name, 1, 1)), '-') from fruit;
begin; update fruit set qty = qty - 1 where name like 'p%'; rollback;
select sum(qty) from fruit;
select count(*) from orders where n between 2 and 4;
pragma integrity_check;
SQL
APP_STDIN=$scratch/script.sql app_compare "a SQL script against a database in /tmp" \
	-- /usr/bin/sqlite3 "$db"
rm -f "$db"

sqlite3 "$scratch/data.db" "create table t(x); insert into t values (1),(2),(3);" 2>/dev/null
app_compare "a database passed with --file" --file "$scratch/data.db" \
	-- /usr/bin/sqlite3 "$scratch/data.db" "select count(*), sum(x) from t;"
finish
