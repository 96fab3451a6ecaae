using Dapr.Client;
using Microsoft.Extensions.Options;
using Storebridge.ServiceDefaults;

namespace Storebridge.Orders.Intake;

/// <summary>One store order version as it arrived (webhook or sweep), kept before anything acts on it.</summary>
/// <param name="Fingerprint">Hash of the canonical order: tells apart two changes within the same second.</param>
public sealed record InboxEntry(
    string StoreId,
    long OrderId,
    string DateModifiedGmt,
    string Fingerprint,
    string RawJson,
    string Source,
    string? Topic,
    string? DeliveryId,
    DateTimeOffset ReceivedAt)
{
    /// <summary>The state key: one entry per store, order, modification time and content, so redeliveries collapse.</summary>
    public string Key => OrderInbox.Key(StoreId, OrderId, DateModifiedGmt, Fingerprint);
}

/// <summary>
/// The durable inbox of store order deliveries, in the orders service's state. An entry is written with first-write
/// concurrency: the first copy of a version wins, every later copy (WooCommerce fires <c>order.created</c> several
/// times, the sweep finds the same version) is recognised as a duplicate. A version is the modification time (one
/// second resolution in WooCommerce) plus a fingerprint of the canonical order, so two changes within one second
/// (checkout pending, then paid) are two versions.
/// </summary>
public sealed class OrderInbox(DaprClient dapr, IOptionsMonitor<OrdersOptions> options)
{
    public static string Key(string storeId, long orderId, string dateModifiedGmt, string fingerprint) =>
        $"inbox|{storeId}|{orderId}|{dateModifiedGmt}|{fingerprint}";

    private static string SeenKey(string storeId, long orderId) => $"seen|{storeId}|{orderId}";

    /// <summary>Stores the entry unless that version of the order is already in the inbox; true when it was new.</summary>
    public async Task<bool> TryAddAsync(InboxEntry entry, CancellationToken cancellationToken)
    {
        // Entries expire (state TTL); the per-order dispatch mark below does not, so a version older than the last one
        // dispatched is still recognised after its entry is gone.
        var ttl = ((long)options.CurrentValue.InboxRetention.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await dapr.TrySaveStateAsync(DaprComponents.StateStore, entry.Key, entry, etag: "",
            new StateOptions { Concurrency = ConcurrencyMode.FirstWrite }, new Dictionary<string, string> { ["ttlInSeconds"] = ttl },
            cancellationToken);
    }

    public Task<InboxEntry?> GetAsync(string key, CancellationToken cancellationToken) =>
        dapr.GetStateAsync<InboxEntry?>(DaprComponents.StateStore, key, cancellationToken: cancellationToken);

    /// <summary>The newest <c>date_modified_gmt</c> of an order whose workflow has been started or signalled.</summary>
    public async Task<string?> GetLastDispatchedAsync(string storeId, long orderId, CancellationToken cancellationToken) =>
        (await GetDispatchMarkAsync(storeId, orderId, cancellationToken)).Modified;

    /// <summary>The dispatch mark with its ETag, to move it forward without reading it again.</summary>
    public async Task<DispatchMark> GetDispatchMarkAsync(string storeId, long orderId, CancellationToken cancellationToken)
    {
        var (modified, etag) = await dapr.GetStateAndETagAsync<string?>(DaprComponents.StateStore, SeenKey(storeId, orderId), cancellationToken: cancellationToken);
        return new DispatchMark(modified, etag);
    }

    /// <summary>Records that this version reached its workflow; never moves the mark backwards.</summary>
    public async Task MarkDispatchedAsync(string storeId, long orderId, string dateModifiedGmt, DispatchMark mark, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            if (mark.Modified is not null && string.CompareOrdinal(mark.Modified, dateModifiedGmt) >= 0)
            {
                return;
            }

            var saved = string.IsNullOrEmpty(mark.ETag)
                ? await dapr.TrySaveStateAsync(DaprComponents.StateStore, SeenKey(storeId, orderId), dateModifiedGmt, "",
                    new StateOptions { Concurrency = ConcurrencyMode.FirstWrite }, cancellationToken: cancellationToken)
                : await dapr.TrySaveStateAsync(DaprComponents.StateStore, SeenKey(storeId, orderId), dateModifiedGmt, mark.ETag, cancellationToken: cancellationToken);
            if (saved)
            {
                return;
            }

            mark = await GetDispatchMarkAsync(storeId, orderId, cancellationToken);
        }
    }
}

/// <summary>The newest order version dispatched to its workflow, and the ETag it was read with.</summary>
public sealed record DispatchMark(string? Modified, string? ETag);
