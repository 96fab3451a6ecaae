using Dapr.Client;
using Storebridge.Contracts.Orders.V1;
using Storebridge.ServiceDefaults;

namespace Storebridge.Orders.Domain;

/// <summary>
/// Orders' own view of every order: <c>order|{ref}</c> plus one index of order refs per state, so the console can
/// list everything on hold or failed without scanning. Index updates use ETags, so replicas never lose an entry.
/// </summary>
public sealed class OrderStateStore(DaprClient dapr, TimeProvider time)
{
    private const int MaxEtagAttempts = 50;

    public Task<OrderRecord?> GetAsync(string orderRef, CancellationToken cancellationToken) =>
        dapr.GetStateAsync<OrderRecord?>(DaprComponents.StateStore, Key(orderRef), cancellationToken: cancellationToken);

    /// <summary>Moves an order to a state (creating its record on first sight) and keeps the state indexes in step.</summary>
    public async Task<OrderRecord> TransitionAsync(
        string orderRef, string storeId, string orderNumber, OrderState to, string? reason, string? erpSalesOrderId, string? orderJson,
        CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var current = await GetAsync(orderRef, cancellationToken);
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
        if (last is null || last.To != to || last.Reason != reason)
        {
            record = record with { History = [.. current?.History ?? [], new OrderTransitionRecord(from, to, reason, now)] };
        }

        await dapr.SaveStateAsync(DaprComponents.StateStore, Key(orderRef), record, cancellationToken: cancellationToken);
        if (from != to)
        {
            await UpdateIndexAsync(to, orderRef, add: true, cancellationToken);
            if (from != OrderState.Unspecified)
            {
                await UpdateIndexAsync(from, orderRef, add: false, cancellationToken);
            }
        }

        return record;
    }

    /// <summary>Order refs in a state, newest first.</summary>
    public async Task<IReadOnlyList<string>> ListAsync(OrderState state, CancellationToken cancellationToken) =>
        await dapr.GetStateAsync<List<string>>(DaprComponents.StateStore, IndexKey(state), cancellationToken: cancellationToken) ?? [];

    public async Task<IReadOnlyList<OrderRecord>> GetManyAsync(IReadOnlyList<string> orderRefs, CancellationToken cancellationToken)
    {
        if (orderRefs.Count == 0)
        {
            return [];
        }

        var items = await dapr.GetBulkStateAsync<OrderRecord>(DaprComponents.StateStore, orderRefs.Select(Key).ToList(), parallelism: 1, cancellationToken: cancellationToken);
        var byKey = items.Where(i => i.Value is not null).ToDictionary(i => i.Key, i => i.Value);
        return orderRefs.Select(Key).Where(byKey.ContainsKey).Select(k => byKey[k]).ToList();
    }

    private async Task UpdateIndexAsync(OrderState state, string orderRef, bool add, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxEtagAttempts; attempt++)
        {
            var (refs, etag) = await dapr.GetStateAndETagAsync<List<string>>(DaprComponents.StateStore, IndexKey(state), cancellationToken: cancellationToken);
            refs ??= [];
            if (add == refs.Contains(orderRef))
            {
                return;
            }

            if (add)
            {
                refs.Insert(0, orderRef);
            }
            else
            {
                refs.Remove(orderRef);
            }

            var saved = string.IsNullOrEmpty(etag)
                ? await dapr.TrySaveStateAsync(DaprComponents.StateStore, IndexKey(state), refs, "",
                    new StateOptions { Concurrency = ConcurrencyMode.FirstWrite }, cancellationToken: cancellationToken)
                : await dapr.TrySaveStateAsync(DaprComponents.StateStore, IndexKey(state), refs, etag, cancellationToken: cancellationToken);
            if (saved)
            {
                return;
            }
        }

        throw new InvalidOperationException($"The index of {state} orders kept changing under concurrent writers.");
    }

    private static string Key(string orderRef) => $"order|{orderRef}";

    private static string IndexKey(OrderState state) => $"orders-by-state|{state}";
}
