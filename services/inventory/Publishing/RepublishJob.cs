using System.Collections.Concurrent;

namespace Storebridge.Inventory.Publishing;

/// <summary>Progress of a full re-publish of one store.</summary>
/// <param name="StoreId">The store.</param>
/// <param name="Total">SKUs to push.</param>
/// <param name="Pushed">SKUs pushed so far.</param>
/// <param name="Done">Whether every SKU was pushed.</param>
/// <param name="StartedAt">When the re-publish began.</param>
public sealed record RepublishProgress(string StoreId, int Total, int Pushed, bool Done, DateTimeOffset StartedAt);

/// <summary>A full re-publish in flight: the SKUs still to be pushed.</summary>
internal sealed class RepublishJob(string storeId, IReadOnlyCollection<string> skus, DateTimeOffset startedAt)
{
    private readonly ConcurrentDictionary<string, byte> _remaining = new(skus.Select(s => KeyValuePair.Create(s, (byte)0)), StringComparer.Ordinal);

    public int Total { get; } = skus.Count;

    /// <summary>Ticks SKUs off; true when nothing remains.</summary>
    public bool MarkPushed(IEnumerable<string> pushed)
    {
        foreach (var sku in pushed)
        {
            _remaining.TryRemove(sku, out _);
        }

        return _remaining.IsEmpty;
    }

    public RepublishProgress Progress => new(storeId, Total, Total - _remaining.Count, _remaining.IsEmpty, startedAt);
}
