using Storebridge.Inventory.Domain;
using Storebridge.Inventory.Ingest;
using Storebridge.Inventory.Publishing;
using Storebridge.Inventory.State;

namespace Storebridge.Inventory.Reservations;

/// <summary>What one sweep did.</summary>
/// <param name="Expired">Reservations expired.</param>
/// <param name="Refreshed">SKUs whose ERP levels were read again for committed holds.</param>
/// <param name="Republished">Events left unpublished in SKU outboxes and published by this sweep.</param>
public sealed record SweepResult(int Expired, int Refreshed, int Republished = 0);

/// <summary>
/// Writes off reservations that were never committed, asks the ERP again about SKUs whose committed holds no
/// snapshot has covered yet (see docs/decisions/0051), and settles the SKU outboxes it reads (0054). Availability already ignores an expired hold the moment it
/// expires; the sweep makes it final (status Expired, hold removed, events published). Driven by
/// <see cref="TimeProvider"/> so tests can move time.
/// </summary>
public sealed partial class ExpirySweeper(
    InventoryState state,
    ReservationService reservations,
    StockIngest ingest,
    IErpStockFeed erp,
    OutboxRecovery outbox,
    StockRules rules,
    TimeProvider time,
    ILogger<ExpirySweeper> logger) : BackgroundService
{
    private const int ChunkSize = 100;

    /// <summary>Expires every held reservation past its time and refreshes SKUs with long-uncovered committed holds.</summary>
    public async Task<SweepResult> SweepOnceAsync(CancellationToken cancellationToken)
    {
        var catalog = await state.GetAsync<SkuCatalog>(InventoryState.CatalogKey, cancellationToken);
        if (catalog.Value is null)
        {
            return new SweepResult(0, 0);
        }

        var now = time.GetUtcNow();
        var due = new HashSet<string>(StringComparer.Ordinal);
        var uncovered = new List<string>();
        var republished = 0;
        foreach (var chunk in catalog.Value.Skus.Chunk(ChunkSize))
        {
            var docs = await state.GetManyAsync<SkuStock>([.. chunk.Select(InventoryState.SkuKey)], cancellationToken);
            republished += await outbox.SettleAsync(docs, cancellationToken);
            foreach (var doc in docs)
            {
                foreach (var (orderRef, hold) in doc.Value?.Holds ?? [])
                {
                    if (hold.State == HoldState.Held && hold.ExpiresAt <= now)
                    {
                        due.Add(orderRef);
                    }
                }

                if (doc.Value?.Holds.Values.Any(h => h.State == HoldState.Committed && h.CommittedAt + rules.Options.CommitRefreshAfter <= now) == true)
                {
                    uncovered.Add(doc.Value.Sku);
                }
            }
        }

        var expired = 0;
        foreach (var orderRef in due)
        {
            try
            {
                if (await reservations.ExpireAsync(orderRef, cancellationToken) is not null)
                {
                    expired++;
                }
            }
            catch (InventoryException ex)
            {
                LogExpireFailed(logger, orderRef, ex);
            }
        }

        if (uncovered.Count > 0 && erp.IsConfigured)
        {
            foreach (var chunk in uncovered.Chunk(ChunkSize))
            {
                await ingest.ApplyAsync(await erp.ReadLevelsAsync(chunk, cancellationToken), cancellationToken);
            }
        }

        return new SweepResult(expired, erp.IsConfigured ? uncovered.Count : 0, republished);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = rules.Options.SweepInterval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval, time);
        while (await ErpStockPoller.TickAsync(timer, stoppingToken))
        {
            try
            {
                var result = await SweepOnceAsync(stoppingToken);
                if (result.Expired > 0 || result.Refreshed > 0 || result.Republished > 0)
                {
                    LogSwept(logger, result.Expired, result.Refreshed);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSweepFailed(logger, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep expired {Expired} reservation(s) and re-read {Refreshed} SKU(s) with uncovered committed holds")]
    private static partial void LogSwept(ILogger logger, int expired, int refreshed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not expire reservation {OrderRef}")]
    private static partial void LogExpireFailed(ILogger logger, string orderRef, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reservation sweep failed; trying again at the next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
