package commands

import "fmt"

// Every error text the commands package replies with, without the leading
// '-' (except the raw replies written to a socket before any command runs).
// Texts Redis has are Redis 7.0's, byte for byte: the compat suite checks
// each against a real redis-server. The ones Synap adds give the numbers a
// user needs to act on. Texts the wire shares (WRONGTYPE, syntax error, not
// an integer, protocol errors, NOAUTH, WRONGPASS) are in resp/errors.go.
// docs/ERRORS.md lists them all, with when each is sent; a text added here
// must be added there (TestErrorTextsDocumented).
//
// A '%s' or '%d' is filled in with fmt.Sprintf where the text is used.

// The dispatcher: lookup, arity, a panic caught, memory.
const (
	errArity             = "ERR wrong number of arguments for '%s' command"
	errUnknownCommand    = "ERR unknown command '%s', with args beginning with: %s"
	errUnknownSubcommand = "ERR unknown subcommand '%s'. Try %s HELP."
	// errInternal answers a command the storage engine's own check refused
	// before anything changed (any other panic stops the server).
	errInternal = "ERR internal error while running '%s'"
	errOOM      = "OOM command not allowed when used memory > 'maxmemory'."
	errExecOOM  = "EXECABORT Transaction discarded because of: " + errOOM
	// errExecBecause is EXEC refused for a reason that refuses its writes
	// (MISCONF), as Redis words it.
	errExecBecause = "EXECABORT Transaction discarded because of: %s"
)

// Raw replies written to a connection refused at accept, before it runs a
// command (so with the '-' and the CRLF).
const (
	errMaxClients    = "-ERR max number of clients reached\r\n"
	errMaxUnauth     = "-ERR max number of unauthenticated clients reached\r\n"
	errMaxUnauthAddr = "-ERR max number of unauthenticated clients from this address reached\r\n"
)

// Connection: AUTH, HELLO, SELECT, CLIENT SETNAME.
const (
	errAuthNoPass  = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	errHelloNoAuth = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"
	errHelloProto  = "ERR Protocol version is not an integer or out of range"
	errNoProto     = "NOPROTO unsupported protocol version"
	errHelloOption = "ERR Syntax error in HELLO option '%s'"
	// ErrClientName is Redis's text for a name with spaces or control characters.
	ErrClientName = "ERR Client names cannot contain spaces, newlines or special characters."
)

// Cluster mode: who a connection is and what its key may do (README,
// "Cluster mode" and "Authority").
const (
	ErrControlPlane  = "ERR control plane unavailable, try again later"
	errSelectCluster = "ERR SELECT is not allowed in cluster mode"
	errNoPerm        = "NOPERM User %s has no permissions to run the '%s' command"
	errSurface       = "NOPERM User %s may not use the %s surface"
	errAuthThrottled = "ERR too many failed AUTH attempts from this address, retry in %d ms"
	// errBlockedKeyMoved ends a parked client whose key moved to another
	// tenant (a key revoked or stripped of a permission gets WRONGPASS or
	// NOPERM, Redis's texts).
	errBlockedKeyMoved = "ERR blocked command ended because the access key now belongs to another tenant"
	errNoSuchTenant    = "ERR no such tenant"
)

// A tenant's plan (README, "Quotas and limits").
const (
	errQuotaStorage     = "QUOTA storage quota exceeded: used %d of %d bytes"
	errQuotaKeys        = "QUOTA key quota exceeded: %d of %d keys"
	errQuotaKeysCreate  = "QUOTA key quota exceeded: %d of %d keys, the command would create %d"
	errQuotaOps         = "QUOTA monthly operations quota exceeded: used %d of %d"
	errQuotaOpsTx       = errQuotaOps + ", the transaction needs %d operations"
	errQuotaPayload     = "QUOTA payload of %d bytes exceeds the limit of %d bytes"
	errQuotaConnections = "QUOTA connection limit reached: %d of %d connections"
	errRateLimit        = "RATELIMIT too many requests: limit %d/s, retry in %d ms"
)

// Memory bounds (README, "Memory limits").
const (
	// errReplyTooBig replaces a reply that would pass the bound. The
	// command did run: a write's effects stay, as under Redis, which
	// closes such a client instead.
	errReplyTooBig     = "ERR reply exceeds the output buffer limit of %d bytes; the command ran, its reply was dropped"
	errTransientServer = "ERR Insufficient memory, transient memory for '%s' needs %d bytes while %d of transient-memory-limit %d are in use; try again later"
	errTransientTenant = "ERR Insufficient memory, transient memory for '%s' needs %d bytes while this tenant's commands hold %d of the %d it may (a quarter of transient-memory-limit); try again later"
	// errRandTooBig refuses HRANDFIELD, SRANDMEMBER and ZRANDMEMBER counts
	// whose reply (repeats allowed, so the count alone decides its size)
	// would pass proto-max-bulk-len: Redis builds any such reply and can
	// run out of memory doing it; a shared server must not.
	errRandTooBig = "ERR count is too large: the reply would exceed proto-max-bulk-len"
)

// Transactions.
const (
	errMultiNested    = "ERR MULTI calls can not be nested"
	errExecNoMulti    = "ERR EXEC without MULTI"
	errDiscardNoMulti = "ERR DISCARD without MULTI"
	errWatchInMulti   = "ERR WATCH inside MULTI is not allowed"
	errExecAbort      = "EXECABORT Transaction discarded because of previous errors."
	errNotInMulti     = "ERR Command not allowed inside a transaction"
	// In cluster mode nothing inside MULTI may change who the connection
	// is: the queued commands were admitted for the identity at MULTI.
	errAuthInMulti  = "ERR AUTH inside MULTI is not allowed in cluster mode"
	errHelloInMulti = "ERR HELLO inside MULTI is not allowed in cluster mode"
	errTxKeyMoved   = "EXECABORT Transaction discarded because the access key now belongs to another tenant."
	// errQueueTooBig refuses a command that would take the queued arguments
	// of one transaction past client-query-buffer-limit: the queue is
	// unparsed input kept for later, and one client must not grow it
	// without bound.
	errQueueTooBig       = "ERR MULTI queue exceeds client-query-buffer-limit"
	errQueueTooBigTenant = "ERR MULTI queue exceeds %d bytes, this connection's limit for queued commands"
	// A tenant's MULTI may not queue a walk, nor a SORT whose patterns read
	// other keys: EXEC would hold every shard for it.
	errWalkInMulti         = "ERR %s inside MULTI is not allowed in cluster mode: EXEC would lock every tenant's keys while it walks yours; send it outside MULTI"
	errSortPatternsInMulti = "ERR %s with BY or GET patterns inside MULTI is not allowed in cluster mode: EXEC would lock every tenant's keys while it looks them up; send it outside MULTI, or use BY nosort and GET #"
)

var errMultiTooLong = fmt.Sprintf("ERR MULTI of a tenant holds at most %d commands: EXEC runs them under every lock they need, which other tenants wait for; split the transaction", maxTenantMulti)

// Blocking commands.
const (
	errTimeoutFloat    = "ERR timeout is not a float or out of range"
	errTimeoutNegative = "ERR timeout is negative"
)

// Keys and keyspace (resp/errors.go has the shared ones).
const (
	errExpireGTLT        = "ERR GT and LT options at the same time are not compatible"
	errInvalidCursor     = "ERR invalid cursor"
	errIntRange          = "ERR value is out of range, value must between -2147483648 and 2147483647"
	errMoveCluster       = "ERR MOVE is not allowed in cluster mode"
	errCopyCluster       = "ERR Copying to another database is not allowed in cluster mode"
	errIdleLFU           = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	errFreqNoLFU         = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	errUnsupportedOption = "ERR Unsupported option %s"
	errSortScore         = "ERR One or more scores can't be converted into double"
)

// Strings.
const (
	errStringTooBig = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	errOffsetRange  = "ERR offset is out of range"
	errDecrOverflow = "ERR decrement would overflow"
	errIncrNaN      = "ERR increment would produce NaN or Infinity"
	errLCSLenIdx    = "ERR If you want both the length and indexes, please just use IDX."
	errLCSNotString = "ERR The specified keys must contain string values"
	errLCSTooBig    = "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
)

// Hashes.
const (
	errHashNotInt    = "ERR hash value is not an integer"
	errHashNotFloat  = "ERR hash value is not a float"
	errHashIncrNaN   = "ERR value is NaN or Infinity"
	errHashResultNaN = "ERR increment would produce NaN or Infinity"
	errHashRandRange = "ERR value is out of range"
	errHashRandLong  = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
)

// Lists.
const (
	errListPopCount   = "ERR value is out of range, must be positive"
	errListIndexRange = "ERR index out of range"
	errListRankZero   = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
	errListCountNeg   = "ERR COUNT can't be negative"
	errListMaxlenNeg  = "ERR MAXLEN can't be negative"
	errListNumkeys    = "ERR numkeys should be greater than 0"
	errListMpopCount  = "ERR count should be greater than 0"
)

// Sets.
const (
	errSetsPositive   = "ERR value is out of range, must be positive"
	errSetsRandRange  = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
	errSetsNumkeys    = "ERR numkeys should be greater than 0"
	errSetsTooManyKey = "ERR Number of keys can't be greater than number of args"
	errSetsLimit      = "ERR LIMIT can't be negative"
)

// Sorted sets.
const (
	errZsetNaN           = "ERR resulting score is not a number (NaN)"
	errZsetXXNX          = "ERR XX and NX options at the same time are not compatible"
	errZsetGTLTNX        = "ERR GT, LT, and/or NX options at the same time are not compatible"
	errZsetIncrPair      = "ERR INCR option supports a single increment-element pair"
	errZsetMinMaxFloat   = "ERR min or max is not a float"
	errZsetMinMaxLex     = "ERR min or max not valid string range item"
	errZsetLimitRank     = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
	errZsetScoresLex     = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
	errZsetWeight        = "ERR weight value is not a float"
	errZsetPositive      = "ERR value is out of range, must be positive"
	errZsetLimitNegative = "ERR LIMIT can't be negative"
	errZsetCount         = "ERR count should be greater than 0"
	errZsetNumkeys       = "ERR numkeys should be greater than 0"
	errZsetOutOfRange    = "ERR value is out of range"
	errZsetRandRange     = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
	errZsetNoKeys        = "ERR at least 1 input key is needed for '%s' command"
)

// HyperLogLog.
const (
	errHLLType      = "WRONGTYPE Key is not a valid HyperLogLog string value."
	errHLLInvalid   = "INVALIDOBJ Corrupted HLL object detected"
	errPFDebugNoKey = "ERR The specified key does not exist"
	errHLLNotSparse = "ERR HLL encoding is not sparse"
	errPFDebugSub   = "ERR Unknown PFDEBUG subcommand '%s'"
)

// Bitmaps.
const (
	errBitOffset        = "ERR bit offset is not an integer or out of range"
	errBitValue         = "ERR bit is not an integer or out of range"
	errBitArg           = "ERR The bit argument must be 1 or 0."
	errBitOpNot         = "ERR BITOP NOT must be called with a single source key."
	errBitFieldType     = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
	errBitFieldOverflow = "ERR Invalid OVERFLOW type specified"
	errBitFieldRO       = "ERR BITFIELD_RO only supports the GET subcommand"
)

// Geo.
const (
	errGeoMember          = "ERR could not decode requested zset member"
	errGeoUnit            = "ERR unsupported unit provided. please use M, KM, FT, MI"
	errGeoRadius          = "ERR need numeric radius"
	errGeoNegative        = "ERR radius cannot be negative"
	errGeoWidth           = "ERR need numeric width"
	errGeoHeight          = "ERR need numeric height"
	errGeoBoxSign         = "ERR height or width cannot be negative"
	errGeoCount           = "ERR COUNT must be > 0"
	errGeoAny             = "ERR the ANY argument requires COUNT argument"
	errGeoPair            = "ERR invalid longitude,latitude pair %s,%s"
	errGeoSearchStoreWith = "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
	errGeoRadiusStoreWith = "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
	errGeoFrom            = "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for %s"
	errGeoBy              = "ERR exactly one of BYRADIUS and BYBOX can be specified for %s"
)

// CLIENT, COMMAND, CONFIG, SHUTDOWN.
const (
	errClientUnknownType  = "ERR Unknown client type '%s'"
	errClientPauseMode    = "ERR CLIENT PAUSE mode must be WRITE or ALL"
	errClientInvalidID    = "ERR Invalid client ID"
	errClientKillID       = "ERR client-id should be greater than 0"
	errClientNoSuch       = "ERR No such client"
	errClientNoUser       = "ERR No such user '%s'"
	errClientMaxAge       = "ERR maxage is not an integer or out of range"
	errClientSetinfoOpt   = "ERR Unrecognized option '%s'"
	errClientSetinfoVal   = "ERR %s cannot contain spaces, newlines or special characters."
	errGetKeysInvalidCmd  = "ERR Invalid command specified"
	errGetKeysNoKeys      = "ERR The command has no key arguments"
	errGetKeysArity       = "ERR Invalid number of arguments specified for command"
	errGetKeysInvalidArgs = "ERR Invalid arguments specified for command"
	errConfigUnknown      = "ERR Unknown option or number of arguments for CONFIG SET - '%s'"
	errConfigFailed       = "ERR CONFIG SET failed (possibly related to argument '%s') - %s"
	errConfigImmutable    = "can't set immutable config"
	errConfigDuplicate    = "duplicate parameter"
	errShutdownNone       = "ERR No shutdown in progress."
)

// Persistence (persist.go): a failure the manager describes without a code.
const (
	errPersist = "ERR %s"
	errMisconf = "MISCONF Errors writing to the AOF file: %s"
)

// Queues (docs/QUEUES.md).
const (
	errQueueNone     = "ERR no such queue '%s'"
	errQueueExists   = "ERR queue '%s' already exists"
	errQueueFull     = "QUEUEFULL queue holds %d messages, its MAXDEPTH is %d"
	errQueuePriority = "ERR PRIORITY must be an integer from 0 to 9"
	errQueueOption   = "ERR %s is not an integer or out of range"
	errQueueCount    = "ERR COUNT must be a positive integer"
	errQueueConsumer = "ERR consumer name must be 1 to 256 bytes"
	errQueueReceipt  = "ERR invalid message id, expected <message>-<delivery> as QCONSUME gave it"
	errQueueDLQSelf  = "ERR a queue cannot be its own dead-letter queue"
)

// Streams (streams.go).
const (
	errStreamID            = "ERR Invalid stream ID specified as stream command argument"
	errStreamXAddZero      = "ERR The ID specified in XADD must be greater than 0-0"
	errStreamXAddSmall     = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
	errStreamExhausted     = "ERR The stream has exhausted the last possible ID, unable to add more items"
	errStreamMaxlen        = "ERR The MAXLEN argument must be >= 0."
	errStreamLimit         = "ERR The LIMIT argument must be >= 0."
	errStreamTrimBoth      = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
	errStreamLimitNoTrim   = "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
	errStreamXTrimNoTrim   = "ERR syntax error, XTRIM must be called with a trimming strategy"
	errStreamLimitExact    = "ERR syntax error, LIMIT cannot be used without the special ~ option"
	errStreamStartID       = "ERR invalid start ID for the interval"
	errStreamEndID         = "ERR invalid end ID for the interval"
	errStreamTimeoutInt    = "ERR timeout is not an integer or out of range"
	errStreamUnbalanced    = "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."
	errStreamGroupXRead    = "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."
	errStreamNoackXRead    = "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."
	errStreamMissingGroup  = "ERR Missing GROUP option for XREADGROUP"
	errStreamNoGroupRead   = "NOGROUP No such key '%s' or consumer group '%s' in XREADGROUP with GROUP option"
	errStreamDollarGroup   = "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."
	errStreamGtXRead       = "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."
	errStreamGroupGone     = "NOGROUP the consumer group this client was blocked on no longer exists"
	errStreamGroupNoKey    = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."
	errStreamNoGroup       = "NOGROUP No such consumer group '%s' for key name '%s'"
	errStreamNoKeyGroup    = "NOGROUP No such key '%s' or consumer group '%s'"
	errStreamBusyGroup     = "BUSYGROUP Consumer Group name already exists"
	errStreamEntriesRead   = "ERR value for ENTRIESREAD must be positive or -1"
	errStreamSubSyntax     = "ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP."
	errSlowlogCount        = "ERR count should be greater than or equal to -1"
	errClientUnblockReason = "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
	errUnblocked           = "UNBLOCKED client unblocked via CLIENT UNBLOCK"
	errMonitorInExec       = "ERR MONITOR isn't allowed for DENY BLOCKING client"
	errMonitorKeyspace     = "ERR Replica can't interact with the keyspace"
	// CLIENT TRACKING and CLIENT CACHING (tracking.go), Redis's texts.
	errTrackRedirMissing      = "ERR The client ID you want redirect to does not exist"
	errTrackRedirTwice        = "ERR A client can only redirect to a single other client"
	errTrackPrefixNoBcast     = "ERR PREFIX option requires BCAST mode to be enabled"
	errTrackBcastSwitch       = "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."
	errTrackBcastOpt          = "ERR OPTIN and OPTOUT are not compatible with BCAST"
	errTrackOptBoth           = "ERR You can't specify both OPTIN mode and OPTOUT mode"
	errTrackOptSwitch         = "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."
	errTrackPrefixExists      = "ERR Prefix '%s' overlaps with an existing prefix '%s'. Prefixes for a single client must not overlap."
	errTrackPrefixOther       = "ERR Prefix '%s' overlaps with another provided prefix '%s'. Prefixes for a single client must not overlap."
	errCachingNoTracking      = "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"
	errCachingYes             = "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."
	errCachingNo              = "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."
	errLatencyNoSamples       = "ERR No samples available for event '%s'"
	errTrackPrefixBound       = "ERR tracking prefixes over the bound: they count against tracking-table-max-keys and tracking-tenant-max-keys"
	errStreamEntriesAdded     = "ERR entries_added must be positive"
	errStreamSetIDSmall       = "ERR The ID specified in XSETID is smaller than the target stream top item"
	errStreamSetIDAdded       = "ERR The entries_added specified in XSETID is smaller than the target stream length"
	errStreamSetIDMaxDel      = "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
	errStreamClaimMinIdle     = "ERR Invalid min-idle-time argument for XCLAIM"
	errStreamClaimIdle        = "ERR Invalid IDLE option argument for XCLAIM"
	errStreamClaimTime        = "ERR Invalid TIME option argument for XCLAIM"
	errStreamClaimRetry       = "ERR Invalid RETRYCOUNT option argument for XCLAIM"
	errStreamClaimOption      = "ERR Unrecognized XCLAIM option '%s'"
	errStreamAutoClaimMinIdle = "ERR Invalid min-idle-time argument for XAUTOCLAIM"
	errStreamAutoClaimCount   = "ERR COUNT must be > 0"
)

// Pub/sub.
const (
	errPubsubSubArgs     = "ERR unknown subcommand or wrong number of arguments for '%s'. Try PUBSUB HELP."
	errNotifyClass       = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
	errSubscribedContext = "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
	errSubLimitClient    = "ERR subscription limit reached: a connection may hold %d channels and patterns (pubsub-subscriptions-per-client)"
	errSubLimitTenant    = "ERR subscription limit reached: a tenant may hold %d channels and patterns (pubsub-subscriptions-per-tenant)"
	errSubLimitBytes     = "ERR subscription limit reached: a tenant's channel and pattern names may take %d bytes"
)

// DUMP and RESTORE.
const (
	errBusyKey       = "BUSYKEY Target key name already exists."
	errRestoreTTL    = "ERR Invalid TTL value, must be >= 0"
	errRestoreIdle   = "ERR Invalid IDLETIME value, must be >= 0"
	errRestoreFreq   = "ERR Invalid FREQ value, must be >= 0 and <= 255"
	errDumpChecksum  = "ERR DUMP payload version or checksum are wrong"
	errBadDataFormat = "ERR Bad data format"
	// errDumpType answers DUMP of a stream or of Synap's own types, which
	// the codec does not write: a payload Redis would misread is worse.
	errDumpType = "ERR DUMP of this type is not supported yet"
)
