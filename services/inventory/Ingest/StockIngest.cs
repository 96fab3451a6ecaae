using Storebridge.Inventory.Domain;
using Storebridge.Inventory.Publishing;
using Storebridge.Inventory.State;

namespace Storebridge.Inventory.Ingest;

/// <summary>The SKUs the inventory knows, kept so that sweeps and full re-publishes can walk them.</summary>
public sealed class SkuCatalog
{
    public SortedSet<string> Skus { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Applies ERP stock snapshots to the SKU documents: absolute values, newest snapshot wins, so applying the same
/// snapshot twice (a redelivered event, an overlapping poll) changes nothing. Announces availability only where the
/// store-facing value moved.
/// </summary>
public sealed partial class StockIngest(
    InventoryState state,
    StockRules rules,
    AvailabilityPublisher publisher,
    TimeProvider time,
    ILogger<StockIngest> logger)
{
    private const int ChunkSize = 100;

    /// <summary>Applies the levels; returns how many store-facing availability values changed.</summary>
    public async Task<int> ApplyAsync(IReadOnlyList<ErpStockLevel> levels, CancellationToken cancellationToken)
    {
        var bySku = levels.GroupBy(l => l.Sku, StringComparer.Ordinal).ToList();
        var changed = 0;
        var created = new List<string>();
        foreach (var chunk in bySku.Chunk(ChunkSize))
        {
            var (changes, newSkus) = await ApplyChunkAsync(chunk, cancellationToken);
            changed += changes;
            created.AddRange(newSkus);
        }

        if (created.Count > 0)
        {
            await AddToCatalogAsync(created, cancellationToken);
        }

        LogApplied(logger, levels.Count, changed);
        return changed;
    }

    private async Task<(int Changes, List<string> Created)> ApplyChunkAsync(
        IGrouping<string, ErpStockLevel>[] chunk, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var docs = await state.GetManyAsync<SkuStock>([.. chunk.Select(g => InventoryState.SkuKey(g.Key))], cancellationToken);
            var now = time.GetUtcNow();
            var writes = new List<StateWrite>();
            var staged = new List<OutboxEvent>();
            var changes = 0;
            var created = new List<string>();
            for (var i = 0; i < chunk.Length; i++)
            {
                var stock = docs[i].Value;
                if (stock is null)
                {
                    stock = new SkuStock { Sku = chunk[i].Key };
                    created.Add(stock.Sku);
                }

                var dirty = false;
                foreach (var level in chunk[i].OrderBy(l => l.AsOf))
                {
                    dirty |= rules.ApplyErpLevel(stock, level);
                }

                if (!dirty)
                {
                    continue;
                }

                publisher.Prune(stock);
                stock.Version++;
                var changed = rules.RefreshPublished(stock, now);
                changes += changed.Count;
                publisher.StageChanges(stock, changed, now, staged);
                writes.Add(new StateWrite(docs[i].Key, stock, docs[i].ETag, CreateOnly: docs[i].ETag is null));
            }

            if (writes.Count == 0 || await state.TryWriteAsync(writes, cancellationToken))
            {
                publisher.Written(staged);
                return (changes, created);
            }

            if (attempt >= rules.Options.MaxConcurrencyAttempts)
            {
                throw new InvalidOperationException("Could not apply ERP stock levels: the SKU documents keep changing.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 20)), cancellationToken);
        }
    }

    private async Task AddToCatalogAsync(List<string> skus, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= rules.Options.MaxConcurrencyAttempts; attempt++)
        {
            var catalog = await state.GetAsync<SkuCatalog>(InventoryState.CatalogKey, cancellationToken);
            var value = catalog.Value ?? new SkuCatalog();
            if (!skus.Select(value.Skus.Add).ToList().Contains(true))
            {
                return;
            }

            if (await state.TryWriteAsync([new StateWrite(InventoryState.CatalogKey, value, catalog.ETag, CreateOnly: catalog.ETag is null)], cancellationToken))
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 20)), cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied {Levels} ERP stock level(s); {Changed} store availability value(s) changed")]
    private static partial void LogApplied(ILogger logger, int levels, int changed);
}
