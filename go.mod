module synap

go 1.26.8

require (
	github.com/alecthomas/kong v1.17.0
	github.com/puzpuzpuz/xsync/v3 v3.5.1
	github.com/tidwall/btree v1.8.2
	github.com/tidwall/redcon v1.6.4
)

require github.com/tidwall/match v1.1.1 // indirect
