using Storebridge.Inventory.Domain;
using Storebridge.Inventory.State;

namespace Storebridge.Inventory.Publishing;

/// <summary>
/// Pushes queued stock to each store: waits a short window so changes coalesce, then sends batches of at most
/// <see cref="InventoryOptions.PublishBatchSize"/> with the values read from state at that moment. The store's
/// rate limit is enforced by its connector; failed SKUs go back on the queue and are re-read before the retry.
/// Only the replica holding the store's pusher lease pushes; the others hand their queued SKUs to it through state
/// (decision 0052).
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
    private static readonly TimeSpan StepDownTimeout = TimeSpan.FromSeconds(5);

    // A new id per start: a restarted replica does not mistake its predecessor's lease for its own.
    private readonly string _replicaId = Guid.NewGuid().ToString("N");

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var loops = new List<Task>();
        var leases = new List<(StoreLane Lane, StorePusherLease Lease)>();
        try
        {
            await foreach (var lane in queue.NewLanes.ReadAllAsync(stoppingToken))
            {
                var lease = new StorePusherLease(lane.StoreId, _replicaId, state, rules.Options.PusherLease, time);
                leases.Add((lane, lease));
                loops.Add(PumpAsync(lane, lease, stoppingToken));
                loops.Add(KeepLeaseAsync(lane, lease, stoppingToken));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await Task.WhenAll(loops);
        foreach (var (lane, lease) in leases)
        {
            await StepDownAsync(lane, lease);
        }
    }

    private async Task PumpAsync(StoreLane lane, StorePusherLease lease, CancellationToken stoppingToken)
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

                var failed = await DrainAsync(lane, lease, stoppingToken);
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
                lane.Wake();
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>
    /// Pushes everything queued for the store, or hands it to the lease holder when that is another replica; true when
    /// some SKUs failed and were queued again.
    /// </summary>
    private async Task<bool> DrainAsync(StoreLane lane, StorePusherLease lease, CancellationToken cancellationToken)
    {
        var anyFailed = false;
        while (lane.Count > 0)
        {
            if (!await lease.EnsureAsync(cancellationToken))
            {
                await HandOffAsync(lane, lease, cancellationToken);
                break;
            }

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

            var items = new List<StockPush>();
            IReadOnlyList<string> failed;
            // A push still running when the lease ends is cancelled, so it cannot land after the next holder's.
            using var whileHeld = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lease.HeldToken);
            try
            {
                var docs = await state.GetManyAsync<SkuStock>([.. skus.Select(InventoryState.SkuKey)], cancellationToken);
                var now = time.GetUtcNow();
                items.AddRange(docs.Where(d => d.Value is not null)
                    .Select(d => new StockPush(d.Value!.Sku, rules.AvailableForStore(d.Value, lane.StoreId, now))));
                failed = items.Count == 0 ? [] : await writer.PushAsync(lane.StoreId, items, whileHeld.Token);
                InventoryMetrics.StorePushes.Add(1);
                InventoryMetrics.StorePushItems.Add(items.Count);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPushFailed(logger, lane.StoreId, skus.Count, ex);
                failed = skus;
            }
            catch (OperationCanceledException)
            {
                // Shutting down or the lease ended: the SKUs stay queued and are handed to the next holder.
                foreach (var sku in skus)
                {
                    lane.Add(sku);
                }

                if (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }

                LogLeaseEndedDuringPush(logger, lane.StoreId, skus.Count);
                return true;
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

    /// <summary>Moves every SKU queued here into the store's hand-off document; on failure they stay queued.</summary>
    private static async Task HandOffAsync(StoreLane lane, StorePusherLease lease, CancellationToken cancellationToken)
    {
        var skus = lane.Take(int.MaxValue);
        if (skus.Count == 0)
        {
            return;
        }

        try
        {
            await lease.HandOffAsync(skus, cancellationToken);
        }
        catch
        {
            foreach (var sku in skus)
            {
                lane.Add(sku);
            }

            throw;
        }

        lane.OnHandedOff(skus);
    }

    /// <summary>
    /// Keeps the lease while this replica holds it (renewing before it expires) and takes the SKUs other replicas
    /// handed over; otherwise tries to acquire it, so a dead holder is replaced within the lease duration.
    /// </summary>
    private async Task KeepLeaseAsync(StoreLane lane, StorePusherLease lease, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var wasHeld = lease.IsHeld;
                if (await lease.EnsureAsync(stoppingToken))
                {
                    if (!wasHeld)
                    {
                        LogLeaseAcquired(logger, lane.StoreId);
                        lane.Wake();
                    }

                    foreach (var sku in await lease.TakeHandedOffAsync(stoppingToken))
                    {
                        lane.Add(sku);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogLeaseCheckFailed(logger, lane.StoreId, ex);
            }

            await Task.Delay(rules.Options.PusherCheckInterval, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Shutdown: SKUs still queued go to the hand-off document, then the lease is deleted so another replica takes over at once.</summary>
    private async Task StepDownAsync(StoreLane lane, StorePusherLease lease)
    {
        using var timeout = new CancellationTokenSource(StepDownTimeout, time);
        try
        {
            await HandOffAsync(lane, lease, timeout.Token);
            await lease.ReleaseAsync(timeout.Token);
        }
        catch (Exception ex)
        {
            LogStepDownFailed(logger, lane.StoreId, ex);
        }
        finally
        {
            lease.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Store {StoreId} has no connection configured; its stock is not pushed")]
    private static partial void LogNoConnection(ILogger logger, string storeId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pushing {Count} stock level(s) to store {StoreId} failed; they will be retried with fresh values")]
    private static partial void LogPushFailed(ILogger logger, string storeId, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stock pusher of store {StoreId} failed; restarting")]
    private static partial void LogPumpFailed(ILogger logger, string storeId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The pusher lease of store {StoreId} ended during a push of {Count} SKU(s); they go to the next holder")]
    private static partial void LogLeaseEndedDuringPush(ILogger logger, string storeId, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "This replica now pushes stock to store {StoreId} (pusher lease acquired)")]
    private static partial void LogLeaseAcquired(ILogger logger, string storeId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking the pusher lease of store {StoreId} failed; trying again")]
    private static partial void LogLeaseCheckFailed(ILogger logger, string storeId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handing over the pusher lease of store {StoreId} at shutdown failed; another replica takes over when it expires")]
    private static partial void LogStepDownFailed(ILogger logger, string storeId, Exception exception);
}
