using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace Storebridge.Sidecar.Storage;

/// <summary>A state write that failed because the caller's ETag no longer matches (or first-write found a value).</summary>
internal sealed class ETagMismatchException(string key) : Exception($"possible etag mismatch for key {key}")
{
    public string Key { get; } = key;
}

/// <summary>
/// One state operation inside a save or a transaction. A null <see cref="Value"/> means delete. <see cref="TtlSeconds"/>
/// is the parsed <c>ttlInSeconds</c>: above zero the value expires that long after the write; otherwise it never does
/// (a write without a TTL also clears the expiry an earlier write set, as Dapr's SQL stores do).
/// </summary>
internal sealed record StateWrite(string Key, byte[]? Value, string? ETag, bool FirstWrite, string? ContentType = null, int? TtlSeconds = null);

/// <summary>A stored state value; <see cref="ExpiresAt"/> is set when it was written with a TTL.</summary>
internal sealed record StateEntry(byte[] Value, string ETag, string? ContentType, DateTimeOffset? ExpiresAt = null);

/// <summary>A message leased for delivery to one app.</summary>
internal sealed record LeasedDelivery(long Seq, string PubSub, string Topic, byte[] Body, string ContentType, bool Raw, string? Traceparent, int Attempts);

/// <summary>
/// A message to append to the log. <paramref name="OrderingKey"/> is the publisher's <c>partitionKey</c>: subscribers
/// that get per-key ordering (Kafka) receive messages with the same key one at a time, in publish order.
/// </summary>
internal sealed record NewMessage(string PubSub, string Topic, byte[] Body, string ContentType, bool Raw, string? Traceparent, string? OrderingKey = null);

/// <summary>How a subscriber receives the messages of one subscription (decision 0013).</summary>
internal enum DeliveryOrdering
{
    /// <summary>Pipelined: many in flight, no order.</summary>
    Concurrent = 0,

    /// <summary>One at a time in publish order; a message waiting for a retry holds back the ones behind it.</summary>
    PerTopic = 1,

    /// <summary>As <see cref="PerTopic"/> among messages with the same ordering key; keyless ones are concurrent.</summary>
    PerKey = 2,
}

/// <summary>The outcome of one delivery attempt, applied in a batch.</summary>
internal sealed record DeliveryOutcome(long Seq, DeliveryResult Result, DateTimeOffset? RetryAt = null, string? DeadLetterTopic = null, string? PubSub = null);

internal enum DeliveryResult { Done, Retry, NotAttempted, Dropped, DeadLettered }

/// <summary>Where an app can be reached, as registered by its runtime.</summary>
internal sealed record AppAddress(string AppId, string Host, int AppPort, string AppProtocol, int HttpPort, int GrpcPort);

/// <summary>
/// The one SQLite database all runtimes on a machine share: state, the message log, pending deliveries and the
/// app registry. WAL with synchronous=NORMAL: a commit survives a killed process (the OS holds the pages);
/// only a power loss could drop the last commits, which is acceptable for a local runtime.
/// </summary>
internal sealed class SqliteStore : IDisposable
{
    private static readonly ConcurrentDictionary<string, SqliteStore> Open = new(StringComparer.Ordinal);
    private static readonly Lock OpenLock = new();

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly SqliteConnection _writer;
    private readonly ConcurrentBag<SqliteConnection> _readers = [];
    private readonly ConcurrentDictionary<string, DeliverySignal> _signals = new(StringComparer.Ordinal);
    private int _refCount;

    private SqliteStore(string path)
    {
        Path = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString();
        _writer = OpenConnection();
        Execute(_writer, """
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value BLOB NOT NULL, etag TEXT NOT NULL, content_type TEXT) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS messages(seq INTEGER PRIMARY KEY AUTOINCREMENT, pubsub TEXT NOT NULL, topic TEXT NOT NULL,
                body BLOB NOT NULL, content_type TEXT NOT NULL, raw INTEGER NOT NULL, traceparent TEXT, published_at INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS subscribers(app_id TEXT NOT NULL, pubsub TEXT NOT NULL, topic TEXT NOT NULL,
                PRIMARY KEY(pubsub, topic, app_id)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS deliveries(app_id TEXT NOT NULL, seq INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
                due_at INTEGER NOT NULL, lease_until INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(app_id, seq)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS deliveries_by_seq ON deliveries(seq);
            CREATE TABLE IF NOT EXISTS apps(app_id TEXT PRIMARY KEY, host TEXT NOT NULL, app_port INTEGER NOT NULL, app_protocol TEXT NOT NULL,
                http_port INTEGER NOT NULL, grpc_port INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
            """);
        AddLaterColumns();
    }

    // Stores created before ordered delivery or state TTL lack their columns. Added under the write lock: other
    // processes may be opening the same store right now.
    private void AddLaterColumns()
    {
        Execute(_writer, "BEGIN IMMEDIATE");
        try
        {
            // Unix milliseconds; NULL = never expires.
            if (!HasColumn("state", "expires_at"))
            {
                Execute(_writer, "ALTER TABLE state ADD COLUMN expires_at INTEGER");
            }

            // Partial: only values written with a TTL are indexed, for the background purge.
            Execute(_writer, "CREATE INDEX IF NOT EXISTS state_by_expiry ON state(expires_at) WHERE expires_at IS NOT NULL");

            if (!HasColumn("subscribers", "ordering"))
            {
                Execute(_writer, "ALTER TABLE subscribers ADD COLUMN ordering INTEGER NOT NULL DEFAULT 0");
            }

            if (!HasColumn("deliveries", "grp"))
            {
                Execute(_writer, "ALTER TABLE deliveries ADD COLUMN grp TEXT");
            }

            // Partial: unordered deliveries (grp NULL) cost nothing extra to insert and delete.
            Execute(_writer, "CREATE INDEX IF NOT EXISTS deliveries_by_group ON deliveries(app_id, grp, seq) WHERE grp IS NOT NULL");
            Execute(_writer, "COMMIT");
        }
        catch
        {
            Execute(_writer, "ROLLBACK");
            throw;
        }
    }

    private bool HasColumn(string table, string column)
    {
        using var cmd = _writer.CreateCommand();
        cmd.CommandText = $"SELECT 1 FROM pragma_table_info('{table}') WHERE name = $c";
        cmd.Parameters.AddWithValue("$c", column);
        return cmd.ExecuteScalar() is not null;
    }

    /// <summary>Full path of the database file.</summary>
    public string Path { get; }

    /// <summary>Opens (or shares) the store at <paramref name="dataDir"/>/sidecar.db. Dispose releases one reference.</summary>
    public static SqliteStore Acquire(string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(dataDir, "sidecar.db"));
        lock (OpenLock)
        {
            var store = Open.GetOrAdd(path, p => new SqliteStore(p));
            store._refCount++;
            return store;
        }
    }

    public void Dispose()
    {
        lock (OpenLock)
        {
            if (--_refCount > 0)
            {
                return;
            }

            Open.TryRemove(Path, out _);
        }

        _writer.Dispose();
        while (_readers.TryTake(out var reader))
        {
            reader.Dispose();
        }

        _writeGate.Dispose();
    }

    // ---------------------------------------------------------------- state

    // An expired value is absent for every read and ETag check, whether or not the purge has removed it yet.
    private const string Live = "(expires_at IS NULL OR expires_at > $now)";

    /// <summary>The value of <paramref name="key"/>, or null when there is none or it expired before <paramref name="now"/>.</summary>
    public StateEntry? GetState(string key, DateTimeOffset now) => Read(conn =>
    {
        var cmd = Prepared(conn, $"SELECT value, etag, content_type, expires_at FROM state WHERE key = $k AND {Live}");
        cmd.Parameters.AddWithValue("$k", key);
        cmd.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        using var reader = cmd.ExecuteReader();
        return reader.Read()
            ? new StateEntry((byte[])reader.GetValue(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)))
            : null;
    });

    /// <summary>
    /// Applies all writes in one transaction: either every one is stored or none (then it throws). TTLs count from
    /// <paramref name="now"/>, and values expired by then count as absent.
    /// </summary>
    public async Task<IReadOnlyList<string?>> WriteStateAsync(IReadOnlyList<StateWrite> writes, DateTimeOffset now, CancellationToken ct) =>
        await WriteAsync(conn =>
        {
            var etags = new List<string?>(writes.Count);
            foreach (var write in writes)
            {
                etags.Add(ApplyStateWrite(conn, write, now));
            }

            return (IReadOnlyList<string?>)etags;
        }, ct).ConfigureAwait(false);

    /// <summary>Deletes values that expired before <paramref name="now"/>; reads already ignore them, this frees the space.</summary>
    public Task<int> PurgeExpiredStateAsync(DateTimeOffset now, CancellationToken ct = default) =>
        WriteAsync(conn =>
        {
            var cmd = Prepared(conn, "DELETE FROM state WHERE expires_at IS NOT NULL AND expires_at <= $now");
            cmd.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            return cmd.ExecuteNonQuery();
        }, ct);

    private static string? ApplyStateWrite(SqliteConnection conn, StateWrite write, DateTimeOffset now)
    {
        var hasETag = !string.IsNullOrEmpty(write.ETag);
        if (write.Value is null)
        {
            var delete = Prepared(conn, hasETag ? $"DELETE FROM state WHERE key = $k AND etag = $e AND {Live}" : "DELETE FROM state WHERE key = $k");
            delete.Parameters.AddWithValue("$k", write.Key);
            if (hasETag)
            {
                delete.Parameters.AddWithValue("$e", write.ETag);
                delete.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            }

            if (delete.ExecuteNonQuery() == 0 && hasETag)
            {
                throw new ETagMismatchException(write.Key);
            }

            return null;
        }

        var cmd = Prepared(conn, hasETag
            ? $"UPDATE state SET value = $v, etag = $n, content_type = $c, expires_at = $x WHERE key = $k AND etag = $e AND {Live}"
            : write.FirstWrite
                // first-write without an ETag means "only if nobody has written it yet" (or what was written expired).
                ? "INSERT INTO state(key, value, etag, content_type, expires_at) VALUES($k, $v, $n, $c, $x) ON CONFLICT(key) DO UPDATE SET value = excluded.value, etag = excluded.etag, content_type = excluded.content_type, expires_at = excluded.expires_at WHERE state.expires_at IS NOT NULL AND state.expires_at <= $now"
                : "INSERT INTO state(key, value, etag, content_type, expires_at) VALUES($k, $v, $n, $c, $x) ON CONFLICT(key) DO UPDATE SET value = excluded.value, etag = excluded.etag, content_type = excluded.content_type, expires_at = excluded.expires_at");
        var newETag = Guid.NewGuid().ToString("N");
        cmd.Parameters.AddWithValue("$k", write.Key);
        if (hasETag)
        {
            cmd.Parameters.AddWithValue("$e", write.ETag);
        }

        if (hasETag || write.FirstWrite)
        {
            cmd.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        }

        cmd.Parameters.AddWithValue("$v", write.Value);
        cmd.Parameters.AddWithValue("$n", newETag);
        cmd.Parameters.AddWithValue("$c", (object?)write.ContentType ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$x", write.TtlSeconds is > 0 and var ttl ? (now + TimeSpan.FromSeconds(ttl)).ToUnixTimeMilliseconds() : DBNull.Value);
        if (cmd.ExecuteNonQuery() == 0)
        {
            throw new ETagMismatchException(write.Key);
        }

        return newETag;
    }

    // ---------------------------------------------------------------- pub/sub

    /// <summary>Appends messages to the log and fans each out to every app subscribed to its topic, atomically.</summary>
    public async Task PublishAsync(IReadOnlyList<NewMessage> messages, DateTimeOffset now, CancellationToken ct = default)
    {
        var apps = await WriteAsync(conn =>
        {
            var fanOut = new FanOut(conn);
            foreach (var m in messages)
            {
                fanOut.Insert(m, now);
            }

            return fanOut.Touched;
        }, ct).ConfigureAwait(false);
        foreach (var app in apps)
        {
            SignalFor(app).Set();
        }
    }

    /// <summary>Inserts messages and their deliveries inside one write transaction, looking subscribers up once per topic.</summary>
    private sealed class FanOut(SqliteConnection conn)
    {
        private readonly Dictionary<(string, string), List<(string AppId, DeliveryOrdering Ordering)>> _subscribers = [];

        public HashSet<string> Touched { get; } = new(StringComparer.Ordinal);

        public void Insert(NewMessage m, DateTimeOffset now)
        {
            if (!_subscribers.TryGetValue((m.PubSub, m.Topic), out var apps))
            {
                apps = [];
                var find = Prepared(conn, "SELECT app_id, ordering FROM subscribers WHERE pubsub = $p AND topic = $t");
                find.Parameters.AddWithValue("$p", m.PubSub);
                find.Parameters.AddWithValue("$t", m.Topic);
                using (var reader = find.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        apps.Add((reader.GetString(0), (DeliveryOrdering)reader.GetInt32(1)));
                    }
                }

                _subscribers[(m.PubSub, m.Topic)] = apps;
            }

            var insert = Prepared(conn, "INSERT INTO messages(pubsub, topic, body, content_type, raw, traceparent, published_at) VALUES($p, $t, $b, $c, $r, $tp, $now) RETURNING seq");
            insert.Parameters.AddWithValue("$p", m.PubSub);
            insert.Parameters.AddWithValue("$t", m.Topic);
            insert.Parameters.AddWithValue("$b", m.Body);
            insert.Parameters.AddWithValue("$c", m.ContentType);
            insert.Parameters.AddWithValue("$r", m.Raw ? 1 : 0);
            insert.Parameters.AddWithValue("$tp", (object?)m.Traceparent ?? DBNull.Value);
            insert.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            var seq = (long)insert.ExecuteScalar()!;
            foreach (var (app, ordering) in apps)
            {
                var group = ordering switch
                {
                    DeliveryOrdering.PerTopic => $"{m.PubSub}\n{m.Topic}",
                    DeliveryOrdering.PerKey when m.OrderingKey is not null => $"{m.PubSub}\n{m.Topic}\n{m.OrderingKey}",
                    _ => null,
                };
                var delivery = Prepared(conn, group is null
                    ? "INSERT INTO deliveries(app_id, seq, due_at) VALUES($a, $s, 0)"
                    : "INSERT INTO deliveries(app_id, seq, due_at, grp) VALUES($a, $s, 0, $g)");
                delivery.Parameters.AddWithValue("$a", app);
                delivery.Parameters.AddWithValue("$s", seq);
                if (group is not null)
                {
                    delivery.Parameters.AddWithValue("$g", group);
                }

                delivery.ExecuteNonQuery();
                Touched.Add(app);
            }
        }
    }

    /// <summary>Records that <paramref name="appId"/> receives messages of these topics from now on (durably).</summary>
    public Task RegisterSubscriptionsAsync(string appId, IEnumerable<(string PubSub, string Topic, DeliveryOrdering Ordering)> topics, CancellationToken ct = default) =>
        WriteAsync(conn =>
        {
            var clear = Prepared(conn, "DELETE FROM subscribers WHERE app_id = $a");
            clear.Parameters.AddWithValue("$a", appId);
            clear.ExecuteNonQuery();

            foreach (var (pubsub, topic, ordering) in topics)
            {
                var cmd = Prepared(conn, "INSERT OR IGNORE INTO subscribers(app_id, pubsub, topic, ordering) VALUES($a, $p, $t, $o)");
                cmd.Parameters.AddWithValue("$a", appId);
                cmd.Parameters.AddWithValue("$p", pubsub);
                cmd.Parameters.AddWithValue("$t", topic);
                cmd.Parameters.AddWithValue("$o", (int)ordering);
                cmd.ExecuteNonQuery();
            }

            return 0;
        }, ct);

    // A delivery of an ordering group may go out only when no earlier one of its group is still pending: in flight,
    // waiting for a retry or for the app. So per group only the head (lowest seq) is a candidate. The heads are found
    // by walking the distinct groups on the partial index (one seek per group), not by testing every row behind
    // them: an ordered backlog of n rows would otherwise cost n seeks per lease. Rows without a group are not held.
    private const string GroupHeads = """
        WITH RECURSIVE groups(grp) AS (
            SELECT MIN(grp) FROM deliveries WHERE app_id = $a AND grp IS NOT NULL
            UNION ALL
            SELECT (SELECT MIN(grp) FROM deliveries WHERE app_id = $a AND grp > groups.grp) FROM groups WHERE groups.grp IS NOT NULL),
        heads(seq) AS (SELECT (SELECT MIN(seq) FROM deliveries WHERE app_id = $a AND grp = groups.grp) FROM groups WHERE groups.grp IS NOT NULL)
        """;

    /// <summary>Takes leases on due deliveries for an app (other runtimes skip leased rows until the lease runs out).</summary>
    public Task<List<LeasedDelivery>> LeaseDeliveriesAsync(string appId, DateTimeOffset now, TimeSpan lease, int max, CancellationToken ct = default) =>
        WriteAsync(conn =>
        {
            // Candidates: the first due rows without a group, and the due heads of the groups. (One statement with a
            // UNION and ORDER BY over both took many times longer than the three below.)
            var candidates = new List<long>();
            var unordered = Prepared(conn, "SELECT seq FROM deliveries WHERE app_id = $a AND grp IS NULL AND due_at <= $now AND lease_until <= $now ORDER BY seq LIMIT $max");
            unordered.Parameters.AddWithValue("$a", appId);
            unordered.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            unordered.Parameters.AddWithValue("$max", max);
            ReadSeqs(unordered, candidates);
            var heads = Prepared(conn, $"{GroupHeads} SELECT d.seq FROM heads JOIN deliveries d ON d.app_id = $a AND d.seq = heads.seq WHERE d.due_at <= $now AND d.lease_until <= $now");
            heads.Parameters.AddWithValue("$a", appId);
            heads.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            ReadSeqs(heads, candidates);
            if (candidates.Count == 0)
            {
                return [];
            }

            candidates.Sort();
            var cmd = Prepared(conn, "UPDATE deliveries SET lease_until = $l, attempts = attempts + 1 WHERE app_id = $a AND seq IN (SELECT value FROM json_each($seqs)) RETURNING seq, attempts");
            cmd.Parameters.AddWithValue("$a", appId);
            cmd.Parameters.AddWithValue("$l", (now + lease).ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("$seqs", SeqList(candidates.Take(max)));
            var leased = new List<(long Seq, int Attempts)>();
            using (var reader = cmd.ExecuteReader())
            {
                while (reader.Read())
                {
                    leased.Add((reader.GetInt64(0), reader.GetInt32(1)));
                }
            }

            // One statement for all rows, not one per row (binding parameters by name is most of a small statement's cost).
            var result = new List<LeasedDelivery>(leased.Count);
            var attemptsBySeq = leased.ToDictionary(l => l.Seq, l => l.Attempts);
            var get = Prepared(conn, "SELECT seq, pubsub, topic, body, content_type, raw, traceparent FROM messages WHERE seq IN (SELECT value FROM json_each($seqs)) ORDER BY seq");
            get.Parameters.AddWithValue("$seqs", SeqList(leased.Select(l => l.Seq)));
            using (var reader = get.ExecuteReader())
            {
                while (reader.Read())
                {
                    var seq = reader.GetInt64(0);
                    if (attemptsBySeq.TryGetValue(seq, out var attempts))
                    {
                        result.Add(new LeasedDelivery(seq, reader.GetString(1), reader.GetString(2), (byte[])reader.GetValue(3), reader.GetString(4), reader.GetInt32(5) != 0, reader.IsDBNull(6) ? null : reader.GetString(6), attempts));
                    }
                }
            }

            return result;
        }, ct);

    /// <summary>Applies delivery outcomes: done/dropped rows go, retries get a due time, dead letters are re-published.</summary>
    public async Task CompleteDeliveriesAsync(string appId, IReadOnlyList<DeliveryOutcome> outcomes, DateTimeOffset now, CancellationToken ct = default)
    {
        var touched = await WriteAsync(conn =>
        {
            var fanOut = new FanOut(conn);
            var finished = new List<long>(outcomes.Count);
            foreach (var outcome in outcomes)
            {
                if (outcome.Result is DeliveryResult.Retry or DeliveryResult.NotAttempted)
                {
                    var retry = Prepared(conn, outcome.Result == DeliveryResult.Retry
                        ? "UPDATE deliveries SET due_at = $d, lease_until = 0 WHERE app_id = $a AND seq = $s"
                        : "UPDATE deliveries SET due_at = $d, lease_until = 0, attempts = MAX(attempts - 1, 0) WHERE app_id = $a AND seq = $s");
                    retry.Parameters.AddWithValue("$a", appId);
                    retry.Parameters.AddWithValue("$s", outcome.Seq);
                    retry.Parameters.AddWithValue("$d", (outcome.RetryAt ?? now).ToUnixTimeMilliseconds());
                    retry.ExecuteNonQuery();
                    continue;
                }

                if (outcome.Result == DeliveryResult.DeadLettered)
                {
                    // The original CloudEvent (same id) goes to the dead-letter topic, as daprd forwards it.
                    var copy = Prepared(conn, "SELECT body, content_type, raw, traceparent FROM messages WHERE seq = $s");
                    copy.Parameters.AddWithValue("$s", outcome.Seq);
                    NewMessage? dead = null;
                    using (var reader = copy.ExecuteReader())
                    {
                        if (reader.Read())
                        {
                            dead = new NewMessage(outcome.PubSub!, outcome.DeadLetterTopic!, (byte[])reader.GetValue(0), reader.GetString(1), reader.GetInt32(2) != 0, reader.IsDBNull(3) ? null : reader.GetString(3));
                        }
                    }

                    if (dead is not null)
                    {
                        fanOut.Insert(dead, now);
                    }
                }

                finished.Add(outcome.Seq);
            }

            if (finished.Count > 0)
            {
                var done = Prepared(conn, "DELETE FROM deliveries WHERE app_id = $a AND seq IN (SELECT value FROM json_each($seqs))");
                done.Parameters.AddWithValue("$a", appId);
                done.Parameters.AddWithValue("$seqs", SeqList(finished));
                done.ExecuteNonQuery();
            }

            return fanOut.Touched;
        }, ct).ConfigureAwait(false);
        foreach (var app in touched)
        {
            SignalFor(app).Set();
        }
    }

    private static void ReadSeqs(SqliteCommand cmd, List<long> into)
    {
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            into.Add(reader.GetInt64(0));
        }
    }

    /// <summary>A JSON array of sequence numbers, for <c>IN (SELECT value FROM json_each($seqs))</c>.</summary>
    private static string SeqList(IEnumerable<long> seqs) => "[" + string.Join(',', seqs) + "]";

    /// <summary>Makes every delivery of an app due again (a restarted runtime owns the work its predecessor leased).</summary>
    public Task ReleaseLeasesAsync(string appId, CancellationToken ct = default) =>
        WriteAsync(conn =>
        {
            var cmd = Prepared(conn, "UPDATE deliveries SET lease_until = 0 WHERE app_id = $a");
            cmd.Parameters.AddWithValue("$a", appId);
            return cmd.ExecuteNonQuery();
        }, ct);

    /// <summary>Earliest time a delivery of the app becomes due, or null when none is pending.</summary>
    public DateTimeOffset? NextDueAt(string appId) => Read(conn =>
    {
        var cmd = Prepared(conn, $"""
            {GroupHeads}
            SELECT MIN(t) FROM (
                SELECT MIN(MAX(due_at, lease_until)) AS t FROM deliveries WHERE app_id = $a AND grp IS NULL
                UNION ALL
                SELECT MAX(d.due_at, d.lease_until) FROM heads JOIN deliveries d ON d.app_id = $a AND d.seq = heads.seq)
            """);
        cmd.Parameters.AddWithValue("$a", appId);
        var value = cmd.ExecuteScalar();
        return value is long ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : (DateTimeOffset?)null;
    });

    /// <summary>Number of deliveries still pending for an app.</summary>
    public long PendingDeliveries(string appId) => Read(conn =>
    {
        var cmd = Prepared(conn, "SELECT COUNT(*) FROM deliveries WHERE app_id = $a");
        cmd.Parameters.AddWithValue("$a", appId);
        return (long)cmd.ExecuteScalar()!;
    });

    /// <summary>Deletes messages nobody still has to receive.</summary>
    public Task<int> PruneMessagesAsync(CancellationToken ct = default) =>
        WriteAsync(conn =>
        {
            var cmd = Prepared(conn, "DELETE FROM messages WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.seq = messages.seq)");
            return cmd.ExecuteNonQuery();
        }, ct);

    /// <summary>The in-process wake-up for an app's delivery loop (other processes are found by polling).</summary>
    public DeliverySignal SignalFor(string appId) => _signals.GetOrAdd(appId, _ => new DeliverySignal());

    // ---------------------------------------------------------------- app registry

    public Task RegisterAppAsync(AppAddress address, DateTimeOffset now, CancellationToken ct = default) =>
        WriteAsync(conn =>
        {
            var cmd = Prepared(conn, """
                INSERT INTO apps(app_id, host, app_port, app_protocol, http_port, grpc_port, updated_at) VALUES($a, $h, $p, $pr, $hp, $gp, $now)
                ON CONFLICT(app_id) DO UPDATE SET host = excluded.host, app_port = excluded.app_port, app_protocol = excluded.app_protocol,
                    http_port = excluded.http_port, grpc_port = excluded.grpc_port, updated_at = excluded.updated_at
                """);
            cmd.Parameters.AddWithValue("$a", address.AppId);
            cmd.Parameters.AddWithValue("$h", address.Host);
            cmd.Parameters.AddWithValue("$p", address.AppPort);
            cmd.Parameters.AddWithValue("$pr", address.AppProtocol);
            cmd.Parameters.AddWithValue("$hp", address.HttpPort);
            cmd.Parameters.AddWithValue("$gp", address.GrpcPort);
            cmd.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            return cmd.ExecuteNonQuery();
        }, ct);

    public AppAddress? ResolveApp(string appId) => Read(conn =>
    {
        var cmd = Prepared(conn, "SELECT host, app_port, app_protocol, http_port, grpc_port FROM apps WHERE app_id = $a");
        cmd.Parameters.AddWithValue("$a", appId);
        using var reader = cmd.ExecuteReader();
        return reader.Read()
            ? new AppAddress(appId, reader.GetString(0), reader.GetInt32(1), reader.GetString(2), reader.GetInt32(3), reader.GetInt32(4))
            : null;
    });

    // ---------------------------------------------------------------- plumbing

    private SqliteConnection OpenConnection()
    {
        var conn = new SqliteConnection(_connectionString);
        conn.Open();
        Execute(conn, "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000; PRAGMA foreign_keys=OFF;");
        return conn;
    }

    private static void Execute(SqliteConnection conn, string sql) => Prepared(conn, sql).ExecuteNonQuery();

    // Statements are prepared once per connection and reused: preparing is most of the cost of a small write.
    // A command is only used by whoever holds its connection (the write gate, or a reader taken from the bag).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SqliteConnection, Dictionary<string, SqliteCommand>> Statements = new();

    private static SqliteCommand Prepared(SqliteConnection conn, string sql)
    {
        var cache = Statements.GetOrCreateValue(conn);
        if (!cache.TryGetValue(sql, out var cmd))
        {
            cmd = conn.CreateCommand();
            cmd.CommandText = sql;
            cache[sql] = cmd;
        }

        cmd.Parameters.Clear();
        return cmd;
    }

    private T Read<T>(Func<SqliteConnection, T> action)
    {
        if (!_readers.TryTake(out var conn))
        {
            conn = OpenConnection();
        }

        try
        {
            return action(conn);
        }
        finally
        {
            _readers.Add(conn);
        }
    }

    // One writer connection per process; BEGIN IMMEDIATE takes SQLite's write lock up front so concurrent
    // processes queue on busy_timeout instead of failing on lock upgrade.
    private async Task<T> WriteAsync<T>(Func<SqliteConnection, T> action, CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            Execute(_writer, "BEGIN IMMEDIATE");
            try
            {
                var result = action(_writer);
                Execute(_writer, "COMMIT");
                return result;
            }
            catch
            {
                Execute(_writer, "ROLLBACK");
                throw;
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }
}

/// <summary>An auto-reset wake-up: Set() before WaitAsync() is not lost.</summary>
internal sealed class DeliverySignal
{
    private TaskCompletionSource _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Set() => _tcs.TrySetResult();

    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        var tcs = Volatile.Read(ref _tcs);
        if (!tcs.Task.IsCompleted)
        {
            await Task.WhenAny(tcs.Task, Task.Delay(timeout, ct)).ConfigureAwait(false);
        }

        Interlocked.CompareExchange(ref _tcs, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), tcs);
    }
}
