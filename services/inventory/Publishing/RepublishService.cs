using System.Collections.Concurrent;
using Storebridge.Inventory.Domain;
using Storebridge.Inventory.Ingest;
using Storebridge.Inventory.State;

namespace Storebridge.Inventory.Publishing;

/// <summary>
/// Full re-publish of a store (after an outage, or for a new store): queues every known SKU for the store and
/// reports progress as the pusher works through them. Progress lives in the replica that started the job.
/// </summary>
public sealed class RepublishService(InventoryState state, StockRules rules, StorePushQueue queue, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, RepublishJob> _jobs = new(StringComparer.Ordinal);

    /// <summary>Starts a re-publish of every known SKU to the store.</summary>
    public async Task<RepublishProgress> StartAsync(string storeId, CancellationToken cancellationToken)
    {
        if (!rules.IsKnownStore(storeId))
        {
            throw new InventoryException(global::Grpc.Core.StatusCode.NotFound, $"Store {storeId} is not configured.",
                [new InventoryProblem("store", storeId, "no routing is configured for this store", IsField: false)]);
        }

        var catalog = await state.GetAsync<SkuCatalog>(InventoryState.CatalogKey, cancellationToken);
        var skus = catalog.Value?.Skus.ToList() ?? [];
        var job = new RepublishJob(storeId, skus, time.GetUtcNow());
        _jobs[storeId] = job;
        if (skus.Count > 0)
        {
            queue.Lane(storeId).Track(job);
            queue.EnqueueMany(storeId, skus);
        }

        return job.Progress;
    }

    /// <summary>Progress of the store's latest re-publish, or null when none was started here.</summary>
    public RepublishProgress? Progress(string storeId) => _jobs.TryGetValue(storeId, out var job) ? job.Progress : null;
}
