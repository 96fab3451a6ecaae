using Storebridge.Inventory.Domain;
using Storebridge.Inventory.Ingest;
using Storebridge.Inventory.State;

namespace Storebridge.Inventory.Reservations;

/// <summary>
/// Writes off reservations that were never committed. Availability already ignores an expired hold the moment it
/// expires; the sweep makes it final (status Expired, hold removed, events published). Driven by
/// <see cref="TimeProvider"/> so tests can move time.
/// </summary>
public sealed partial class ExpirySweeper(
    InventoryState state,
    ReservationService reservations,
    StockRules rules,
    TimeProvider time,
    ILogger<ExpirySweeper> logger) : BackgroundService
{
    private const int ChunkSize = 100;

    /// <summary>Expires every held reservation past its time; returns how many were expired.</summary>
    public async Task<int> SweepOnceAsync(CancellationToken cancellationToken)
    {
        var catalog = await state.GetAsync<SkuCatalog>(InventoryState.CatalogKey, cancellationToken);
        if (catalog.Value is null)
        {
            return 0;
        }

        var now = time.GetUtcNow();
        var due = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in catalog.Value.Skus.Chunk(ChunkSize))
        {
            var docs = await state.GetManyAsync<SkuStock>([.. chunk.Select(InventoryState.SkuKey)], cancellationToken);
            foreach (var doc in docs)
            {
                foreach (var (orderRef, hold) in doc.Value?.Holds ?? [])
                {
                    if (hold.State == HoldState.Held && hold.ExpiresAt <= now)
                    {
                        due.Add(orderRef);
                    }
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

        return expired;
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
                var expired = await SweepOnceAsync(stoppingToken);
                if (expired > 0)
                {
                    LogSwept(logger, expired);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSweepFailed(logger, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Expired {Count} reservation(s)")]
    private static partial void LogSwept(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not expire reservation {OrderRef}")]
    private static partial void LogExpireFailed(ILogger logger, string orderRef, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reservation sweep failed; trying again at the next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
