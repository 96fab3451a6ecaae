using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapr;
using Dapr.Client;
using Storebridge.Contracts.Orders.V1;
using Storebridge.ServiceDefaults;

namespace Storebridge.Orders.Domain;

/// <summary>
/// Orders' own view of every order: <c>order|{ref}</c>, plus indexes of order refs per state so the console can list
/// everything on hold or failed without scanning. An index is split into shards by order ref, so concurrent workflows
/// rarely touch the same document and no document grows with the whole order book; the shard of an order is the same
/// in every state, so one transition reads three documents and writes them in one transaction (ETags keep replicas
/// from losing entries). Indexes of finished orders keep only the newest entries per shard.
/// </summary>
public sealed class OrderStateStore(DaprClient dapr, TimeProvider time)
{
    public const int IndexShards = 16;

    /// <summary>Completed and cancelled orders listed per shard; older ones stay readable by ref, just not listed.</summary>
    public const int FinishedIndexCapacityPerShard = 256;

    private const int MaxConflictAttempts = 50;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Task<OrderRecord?> GetAsync(string orderRef, CancellationToken cancellationToken) =>
        dapr.GetStateAsync<OrderRecord?>(DaprComponents.StateStore, Key(orderRef), cancellationToken: cancellationToken);

    /// <summary>Moves an order to a state (creating its record on first sight) and keeps the state indexes in step.</summary>
    public async Task<OrderRecord> TransitionAsync(
        string orderRef, string storeId, string orderNumber, OrderState to, string? reason, string? erpSalesOrderId, string? orderJson,
        CancellationToken cancellationToken)
    {
        var shard = Shard(orderRef);
        // Read once: one workflow writes an order, so a conflict can only come from the shared index shards.
        var current = await GetAsync(orderRef, cancellationToken);
        var from = current?.State ?? OrderState.Unspecified;
        for (var attempt = 1; ; attempt++)
        {
            var now = time.GetUtcNow();
            var record = Apply(current, orderRef, storeId, orderNumber, to, reason, erpSalesOrderId, orderJson, now);

            var writes = new List<StateTransactionRequest>
            {
                // One workflow writes an order, so its record needs no ETag.
                new(Key(orderRef), JsonSerializer.SerializeToUtf8Bytes(record, Json), StateOperationType.Upsert),
            };
            if (from != to)
            {
                var indexKeys = from == OrderState.Unspecified ? [IndexKey(to, shard)] : new[] { IndexKey(to, shard), IndexKey(from, shard) };
                var indexes = await dapr.GetBulkStateAsync(DaprComponents.StateStore, indexKeys, parallelism: 0, cancellationToken: cancellationToken);
                foreach (var item in indexes)
                {
                    var entries = Parse(item.Value);
                    entries.RemoveAll(e => e.Ref == orderRef);
                    if (item.Key == IndexKey(to, shard))
                    {
                        entries.Insert(0, new IndexEntry(orderRef, now));
                        if (IsFinished(to) && entries.Count > FinishedIndexCapacityPerShard)
                        {
                            entries.RemoveRange(FinishedIndexCapacityPerShard, entries.Count - FinishedIndexCapacityPerShard);
                        }
                    }

                    // Without an ETag, first-write means "only if nobody created it meanwhile".
                    writes.Add(new StateTransactionRequest(item.Key, JsonSerializer.SerializeToUtf8Bytes(entries, Json), StateOperationType.Upsert,
                        string.IsNullOrEmpty(item.ETag) ? null : item.ETag, options: new StateOptions { Concurrency = ConcurrencyMode.FirstWrite }));
                }
            }

            try
            {
                await dapr.ExecuteStateTransactionAsync(DaprComponents.StateStore, writes, cancellationToken: cancellationToken);
                return record;
            }
            catch (DaprException ex) when (StateConflicts.IsConflict(ex) && attempt < MaxConflictAttempts)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 5 * attempt)), time, cancellationToken);
            }
        }
    }

    /// <summary>Order refs in a state, newest first.</summary>
    public async Task<IReadOnlyList<string>> ListAsync(OrderState state, CancellationToken cancellationToken)
    {
        var keys = Enumerable.Range(0, IndexShards).Select(shard => IndexKey(state, shard)).ToList();
        var shards = await dapr.GetBulkStateAsync(DaprComponents.StateStore, keys, parallelism: 0, cancellationToken: cancellationToken);
        return [.. shards.SelectMany(s => Parse(s.Value)).OrderByDescending(e => e.At).Select(e => e.Ref)];
    }

    public async Task<IReadOnlyList<OrderRecord>> GetManyAsync(IReadOnlyList<string> orderRefs, CancellationToken cancellationToken)
    {
        if (orderRefs.Count == 0)
        {
            return [];
        }

        var items = await dapr.GetBulkStateAsync<OrderRecord>(DaprComponents.StateStore, orderRefs.Select(Key).ToList(), parallelism: 0, cancellationToken: cancellationToken);
        var byKey = items.Where(i => i.Value is not null).ToDictionary(i => i.Key, i => i.Value);
        return orderRefs.Select(Key).Where(byKey.ContainsKey).Select(k => byKey[k]).ToList();
    }

    private static OrderRecord Apply(
        OrderRecord? current, string orderRef, string storeId, string orderNumber, OrderState to, string? reason, string? erpSalesOrderId,
        string? orderJson, DateTimeOffset now)
    {
        var from = current?.State ?? OrderState.Unspecified;
        var record = (current ?? new OrderRecord { OrderRef = orderRef, StoreId = storeId, ReceivedAt = now }) with
        {
            OrderNumber = string.IsNullOrEmpty(orderNumber) ? current?.OrderNumber ?? "" : orderNumber,
            State = to,
            StatusReason = reason,
            ErpSalesOrderId = erpSalesOrderId ?? current?.ErpSalesOrderId,
            OrderJson = orderJson ?? current?.OrderJson ?? "",
            UpdatedAt = now,
        };

        // A retried activity repeats the same transition; the history records it once.
        var last = current?.History.LastOrDefault();
        return last is null || last.To != to || last.Reason != reason
            ? record with { History = [.. current?.History ?? [], new OrderTransitionRecord(from, to, reason, now)] }
            : record;
    }

    private static bool IsFinished(OrderState state) => state is OrderState.Completed or OrderState.Cancelled;

    private static List<IndexEntry> Parse(string? json) =>
        string.IsNullOrEmpty(json) ? [] : JsonSerializer.Deserialize<List<IndexEntry>>(json, Json) ?? [];

    /// <summary>A stable shard for an order ref (the same in every process and release).</summary>
    public static int Shard(string orderRef) => SHA256.HashData(Encoding.UTF8.GetBytes(orderRef))[0] % IndexShards;

    private static string Key(string orderRef) => $"order|{orderRef}";

    private static string IndexKey(OrderState state, int shard) => $"orders-by-state|{state}|{shard}";

    private sealed record IndexEntry(string Ref, DateTimeOffset At);
}
