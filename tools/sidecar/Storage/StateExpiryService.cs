using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Storebridge.Sidecar.Hosting;

namespace Storebridge.Sidecar.Storage;

/// <summary>
/// Deletes state values whose TTL has run out, once a minute on the runtime's clock. Only frees space: reads and
/// ETag checks already treat expired values as absent, so nothing depends on when this runs.
/// </summary>
internal sealed partial class StateExpiryService(SidecarRuntime runtime, ILogger<StateExpiryService> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, runtime.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    var purged = await runtime.Store.PurgeExpiredStateAsync(runtime.Time.GetUtcNow(), stoppingToken).ConfigureAwait(false);
                    LogPurged(logger, purged);
                }
                catch (Microsoft.Data.Sqlite.SqliteException ex)
                {
                    // A busy store is not worth stopping the runtime for; the next tick tries again.
                    LogFailed(logger, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Purged {Count} expired state values")]
    private static partial void LogPurged(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purging expired state values failed: {Problem}")]
    private static partial void LogFailed(ILogger logger, string problem);
}
