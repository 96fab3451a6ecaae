using Storebridge.Inventory.Domain;
using Storebridge.Inventory.State;

namespace Storebridge.Inventory.Publishing;

/// <summary>
/// Settles SKU outboxes the sweep comes across: entries this replica published are dropped; entries nobody is known
/// to have published within <see cref="InventoryOptions.OutboxRepublishAfter"/> (their writer crashed between the
/// state write and the publish) are published again with their own CloudEvent id, then dropped.
/// </summary>
public sealed partial class OutboxRecovery(
    InventoryState state,
    AvailabilityPublisher publisher,
    StockRules rules,
    TimeProvider time,
    ILogger<OutboxRecovery> logger)
{
    private const int MaxWriteAttempts = 5;

    /// <summary>Settles the outboxes of the documents read by the caller; returns how many events were re-published.</summary>
    public async Task<int> SettleAsync(IReadOnlyList<Versioned<SkuStock>> docs, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var withOutbox = docs.Where(d => d.Value?.Outbox is { Count: > 0 }).ToList();
        if (withOutbox.Count == 0)
        {
            return 0;
        }

        var due = withOutbox.SelectMany(d => d.Value!.Outbox!)
            .Where(e => e.At + rules.Options.OutboxRepublishAfter <= now && !publisher.WasPublished(e.Id))
            .ToList();
        var republished = due.Count == 0 ? [] : await publisher.PublishNowAsync(due, cancellationToken);
        if (republished.Count > 0)
        {
            LogRepublished(logger, republished.Count);
        }

        // Entries now known to be published leave the outbox; the documents were read by the caller, so the first
        // attempt reuses those ETags and only a concurrent writer makes us read again.
        var current = withOutbox;
        for (var attempt = 1; attempt <= MaxWriteAttempts && current.Count > 0; attempt++)
        {
            var writes = new List<StateWrite>();
            foreach (var doc in current)
            {
                var before = doc.Value!.Outbox?.Count ?? 0;
                publisher.Prune(doc.Value);
                if ((doc.Value.Outbox?.Count ?? 0) != before)
                {
                    writes.Add(new StateWrite(doc.Key, doc.Value, doc.ETag));
                }
            }

            if (writes.Count == 0 || await state.TryWriteAsync(writes, cancellationToken))
            {
                break;
            }

            current = [.. (await state.GetManyAsync<SkuStock>([.. writes.Select(w => w.Key)], cancellationToken)).Where(d => d.Value is not null)];
        }

        return republished.Count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-published {Count} event(s) left in SKU outboxes (their writer did not publish them)")]
    private static partial void LogRepublished(ILogger logger, int count);
}
