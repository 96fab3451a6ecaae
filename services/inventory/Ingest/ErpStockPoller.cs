using Storebridge.Inventory.Domain;
using Storebridge.Inventory.State;

namespace Storebridge.Inventory.Ingest;

/// <summary>
/// Polls the ERP for stock changed since the cursor kept in state. Replicas may poll at the same time: applying a
/// snapshot is idempotent and the cursor is written with its ETag, so the worst case is a page read twice.
/// </summary>
public sealed partial class ErpStockPoller(
    IErpStockFeed feed,
    StockIngest ingest,
    InventoryState state,
    StockRules rules,
    TimeProvider time,
    ILogger<ErpStockPoller> logger) : BackgroundService
{
    /// <summary>Reads and applies every page available now; returns the number of levels applied.</summary>
    public async Task<int> PollOnceAsync(CancellationToken cancellationToken)
    {
        var applied = 0;
        while (true)
        {
            var cursor = await state.GetAsync<ErpCursor>(InventoryState.ErpCursorKey, cancellationToken);
            var page = await feed.ReadChangesAsync(cursor.Value?.Position, cancellationToken);
            if (page.Levels.Count > 0)
            {
                await ingest.ApplyAsync(page.Levels, cancellationToken);
                applied += page.Levels.Count;
            }

            if (page.NextCursor != cursor.Value?.Position)
            {
                var saved = await state.TryWriteAsync(
                    [new StateWrite(InventoryState.ErpCursorKey, new ErpCursor(page.NextCursor, time.GetUtcNow()), cursor.ETag, CreateOnly: cursor.ETag is null)],
                    cancellationToken);
                if (!saved)
                {
                    // Another replica moved the cursor meanwhile; it will carry on from there.
                    return applied;
                }
            }

            if (!page.HasMore)
            {
                return applied;
            }
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = rules.Options.ErpPollInterval;
        if (interval <= TimeSpan.Zero || !feed.IsConfigured)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval, time);
        do
        {
            try
            {
                var applied = await PollOnceAsync(stoppingToken);
                if (applied > 0)
                {
                    LogPolled(logger, applied);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPollFailed(logger, ex);
            }
        }
        while (await TickAsync(timer, stoppingToken));
    }

    internal static async Task<bool> TickAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The stored poll position.</summary>
    /// <param name="Position">Opaque cursor of the feed.</param>
    /// <param name="UpdatedAt">When it was stored.</param>
    public sealed record ErpCursor(string? Position, DateTimeOffset UpdatedAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "ERP poll applied {Count} stock level(s)")]
    private static partial void LogPolled(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ERP stock poll failed; trying again at the next interval")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);
}
