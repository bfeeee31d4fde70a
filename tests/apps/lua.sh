# lua5.4 from Debian, unmodified: a script exercising strings, tables,
# coroutines, io and os.
source tests/cli/lib/common.bash
source tests/apps/lib.bash
need /usr/bin/lua5.4

cat >"$scratch/t.lua" <<'LUA'
local s = "The quick brown fox jumps over the lazy dog"
print(s:upper(), #s, s:find("fox"), (s:gsub("o", "0")))
for w in s:gmatch("%a+") do io.write(w:sub(1, 1)) end print()
print(string.format("%5.2f|%-6s|%x|%q", math.pi, "ab", 255, "a\nb"))
local t = {}
for i = 1, 100 do t[i] = (i * 37) % 101 end
table.sort(t)
print(t[1], t[50], t[100], #t, table.concat(t, ",", 1, 5))
local m = setmetatable({}, {__index = function(_, k) return k * 2 end})
print(m[21])
local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i * i) end end)
print(gen(), gen(), gen())
local name = os.tmpname()
local f = assert(io.open(name, "w"))
for i = 1, 1000 do f:write(i, "\n") end
f:close()
local sum = 0
for line in io.lines(name) do sum = sum + tonumber(line) end
print("sum", sum, os.remove(name))
print(os.time() > 1700000000, os.clock() >= 0, os.date("!%Y-%m-%d", 0))
print(pcall(error, "boom"))
local big = {}
for i = 1, 200000 do big[i] = tostring(i) end
print(#table.concat(big))
collectgarbage()
print(collectgarbage("count") > 0)
LUA
app_compare "strings, tables, coroutines, io and os" --file "$scratch/t.lua" \
	-- /usr/bin/lua5.4 "$scratch/t.lua"
finish
