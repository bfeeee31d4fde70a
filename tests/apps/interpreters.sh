# Debian's interpreters with no --file (issue 10, "interpreters without
# packing"): --rootfs / and -v /usr:/usr:ro serve the standard libraries
# from the host through a read-only virtio-9p share, so python3 and perl
# find them as natively.  Compared with the native runs.
source tests/cli/lib/common.bash
source tests/apps/lib.bash
need /usr/bin/python3

py='import json, zoneinfo, datetime, decimal, sqlite3
t = datetime.datetime(2024, 3, 1, 12, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))
print(json.dumps({"utc": t.astimezone(datetime.timezone.utc).isoformat()}))
print(decimal.Decimal(1) / 7, sqlite3.connect(":memory:").execute("select 6*7").fetchone())'
app_compare "python3 --rootfs /: json, zoneinfo, decimal, sqlite3" --rootfs / \
	-- /usr/bin/python3 -c "$py"
app_compare "python3 -v /usr:/usr:ro" -v /usr:/usr:ro -- /usr/bin/python3 -c "$py"
if [ -x /usr/bin/perl ]; then
	app_compare "perl --rootfs /: POSIX, List::Util, Data::Dumper" --rootfs / -- /usr/bin/perl \
		-MPOSIX -MList::Util=sum -MData::Dumper -e \
		'$Data::Dumper::Sortkeys = 1; print floor(7.5), " ", sum(1..10), "\n", Dumper({a => 1})'
fi
finish
