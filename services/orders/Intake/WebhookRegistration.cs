using Microsoft.Extensions.Options;
using Storebridge.WooCommerce;

namespace Storebridge.Orders.Intake;

/// <summary>
/// Ensures every configured store's order webhooks (<see cref="StoreWebhooks"/>) as soon as the service starts, so a
/// fresh deployment receives deliveries from its first order instead of only after the first sweep tick. A store that
/// cannot be reached is tried again with capped exponential back-off until it answers or the host stops; each store is
/// tried on its own, so one store being down neither delays another nor holds up the host.
/// <see cref="OrdersOptions.EnsureWebhooksAtStart"/> off leaves the webhooks to the sweep.
/// </summary>
public sealed partial class WebhookRegistration(
    IWooCommerceClientFactory stores,
    StoreWebhooks webhooks,
    IOptions<OrdersOptions> options,
    TimeProvider time,
    ILogger<WebhookRegistration> logger) : BackgroundService
{
    /// <summary>Longest wait between two tries of an unreachable store.</summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(1);

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        options.Value.EnsureWebhooksAtStart
            ? Task.WhenAll(stores.StoreIds.ToList().Select(storeId => EnsureUntilDoneAsync(storeId, stoppingToken)))
            : Task.CompletedTask;

    private async Task EnsureUntilDoneAsync(string storeId, CancellationToken stoppingToken)
    {
        // Off the caller's thread at once: no store's first call runs before the others have started.
        await Task.Yield();
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await webhooks.EnsureAsync(storeId, stoppingToken);
                LogEnsured(logger, storeId, attempt);
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                var delay = RetryDelay(attempt, Random.Shared.NextDouble());
                LogFailed(logger, storeId, attempt, delay, ex);
                await Task.Delay(delay, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>
    /// The wait after <paramref name="failedAttempts"/> failures: a ceiling of 1 s doubling up to
    /// <see cref="MaxRetryDelay"/>, of which the upper half is scaled by <paramref name="jitter"/> (0..1) so replicas
    /// started together do not call the store in step.
    /// </summary>
    public static TimeSpan RetryDelay(int failedAttempts, double jitter)
    {
        var doublings = Math.Clamp(failedAttempts - 1, 0, 16);
        var ceiling = TimeSpan.FromTicks(Math.Min(MaxRetryDelay.Ticks, FirstRetryDelay.Ticks << doublings));
        return ceiling / 2 + ceiling / 2 * Math.Clamp(jitter, 0, 1);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Order webhooks of store {StoreId} ensured at start (attempt {Attempt})")]
    private static partial void LogEnsured(ILogger logger, string storeId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not ensure the order webhooks of store {StoreId} (attempt {Attempt}); trying again in {Delay}")]
    private static partial void LogFailed(ILogger logger, string storeId, int attempt, TimeSpan delay, Exception exception);
}
