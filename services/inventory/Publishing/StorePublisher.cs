using Storebridge.Inventory.Domain;
using Storebridge.Inventory.State;

namespace Storebridge.Inventory.Publishing;

/// <summary>
/// Pushes queued stock to each store: waits a short window so changes coalesce, then sends batches of at most
/// <see cref="InventoryOptions.PublishBatchSize"/> with the values read from state at that moment. The store's
/// rate limit is enforced by its connector; failed SKUs go back on the queue and are re-read before the retry.
/// </summary>
public sealed partial class StorePublisher(
    StorePushQueue queue,
    InventoryState state,
    StockRules rules,
    IStoreStockWriter writer,
    TimeProvider time,
    ILogger<StorePublisher> logger) : BackgroundService
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pumps = new List<Task>();
        try
        {
            await foreach (var lane in queue.NewLanes.ReadAllAsync(stoppingToken))
            {
                pumps.Add(PumpAsync(lane, stoppingToken));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await Task.WhenAll(pumps);
    }

    private async Task PumpAsync(StoreLane lane, CancellationToken stoppingToken)
    {
        if (!writer.Handles(lane.StoreId))
        {
            LogNoConnection(logger, lane.StoreId);
        }

        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await lane.WaitAsync(stoppingToken);
                if (lane.Count < rules.Options.PublishBatchSize)
                {
                    // Coalescing window (wall clock): changes arriving meanwhile share the batch.
                    await Task.Delay(rules.Options.PublishWindow, stoppingToken);
                }

                var failed = await DrainAsync(lane, stoppingToken);
                failures = failed ? failures + 1 : 0;
                if (failed)
                {
                    var delay = TimeSpan.FromMilliseconds(Math.Min(MaxRetryDelay.TotalMilliseconds, 250 * Math.Pow(2, Math.Min(failures, 8))));
                    await Task.Delay(delay, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogPumpFailed(logger, lane.StoreId, ex);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Pushes everything queued for the store; true when some SKUs failed and were queued again.</summary>
    private async Task<bool> DrainAsync(StoreLane lane, CancellationToken cancellationToken)
    {
        var anyFailed = false;
        while (lane.Count > 0)
        {
            var skus = lane.Take(rules.Options.PublishBatchSize);
            if (skus.Count == 0)
            {
                break;
            }

            if (!writer.Handles(lane.StoreId))
            {
                // Nothing to push to; count them as done so re-publish progress still completes.
                lane.OnPushed(skus);
                continue;
            }

            var docs = await state.GetManyAsync<SkuStock>([.. skus.Select(InventoryState.SkuKey)], cancellationToken);
            var now = time.GetUtcNow();
            var items = docs.Where(d => d.Value is not null)
                .Select(d => new StockPush(d.Value!.Sku, rules.AvailableForStore(d.Value, lane.StoreId, now)))
                .ToList();
            IReadOnlyList<string> failed;
            try
            {
                failed = items.Count == 0 ? [] : await writer.PushAsync(lane.StoreId, items, cancellationToken);
                InventoryMetrics.StorePushes.Add(1);
                InventoryMetrics.StorePushItems.Add(items.Count);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPushFailed(logger, lane.StoreId, items.Count, ex);
                failed = [.. items.Select(i => i.Sku)];
            }

            foreach (var sku in failed)
            {
                lane.Add(sku);
            }

            var failedSet = failed.ToHashSet(StringComparer.Ordinal);
            lane.OnPushed([.. skus.Where(s => !failedSet.Contains(s))]);
            if (failed.Count > 0)
            {
                anyFailed = true;
                break;
            }
        }

        return anyFailed;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Store {StoreId} has no connection configured; its stock is not pushed")]
    private static partial void LogNoConnection(ILogger logger, string storeId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pushing {Count} stock level(s) to store {StoreId} failed; they will be retried with fresh values")]
    private static partial void LogPushFailed(ILogger logger, string storeId, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stock pusher of store {StoreId} failed; restarting")]
    private static partial void LogPumpFailed(ILogger logger, string storeId, Exception exception);
}
