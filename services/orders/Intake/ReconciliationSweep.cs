using System.Text.Json;
using Dapr.Client;
using Storebridge.ServiceDefaults;
using Storebridge.ServiceDefaults.Security;
using Storebridge.WooCommerce;

namespace Storebridge.Orders.Intake;

/// <summary>What one sweep of one store found.</summary>
public sealed record SweepReport(string StoreId, int Listed, int Fed, int WebhooksReactivated, DateTimeOffset Cursor);

/// <summary>
/// Webhooks alone lose orders (deliveries never sent, webhooks disabled after five failures with no redelivery).
/// On every tick of the <c>orders-sweep</c> cron binding this lists each store's orders modified since the last cursor
/// and feeds intake every version its workflow has not seen, then ensures the order webhooks (<see cref="StoreWebhooks"/>):
/// created when missing, re-activated when the store disabled them.
/// </summary>
public sealed partial class ReconciliationSweep(
    IWooCommerceClientFactory stores,
    OrderIntake intake,
    OrderInbox inbox,
    StoreWebhooks webhooks,
    DaprClient dapr,
    TimeProvider time,
    ILogger<ReconciliationSweep> logger)
{
    /// <summary>The Dapr cron binding's name; the runtime POSTs to <c>/{BindingName}</c> on schedule.</summary>
    public const string BindingName = "orders-sweep";

    /// <summary>Listings start this long before the cursor: store clocks and slow writes can put a change a little in the past.</summary>
    public static readonly TimeSpan Overlap = TimeSpan.FromMinutes(5);

    /// <summary>How far back the first sweep of a store looks.</summary>
    public static readonly TimeSpan FirstLookBack = TimeSpan.FromDays(1);

    public async Task<IReadOnlyList<SweepReport>> RunAsync(CancellationToken cancellationToken)
    {
        var reports = new List<SweepReport>();
        foreach (var storeId in stores.StoreIds)
        {
            reports.Add(await SweepStoreAsync(storeId, cancellationToken));
        }

        return reports;
    }

    private async Task<SweepReport> SweepStoreAsync(string storeId, CancellationToken cancellationToken)
    {
        var client = stores.GetClient(storeId);
        var cursorKey = $"sweep-cursor|{storeId}";
        var cursor = await dapr.GetStateAsync<DateTimeOffset?>(DaprComponents.StateStore, cursorKey, cancellationToken: cancellationToken)
            ?? time.GetUtcNow() - FirstLookBack;

        int listed = 0, fed = 0;
        var newest = cursor;
        await foreach (var order in client.ListOrdersModifiedAfterAsync(cursor - Overlap, cancellationToken))
        {
            listed++;
            if (!OrderIntake.TryReadVersion(order, out var orderId, out var modified))
            {
                continue;
            }

            // Anything not older than the dispatched mark goes to intake; the inbox recognises versions it already has.
            var last = await inbox.GetLastDispatchedAsync(storeId, orderId, cancellationToken);
            if (last is null || string.CompareOrdinal(last, modified) <= 0)
            {
                var json = JsonSerializer.SerializeToUtf8Bytes(order, WooJson.Options);
                if (await intake.IngestAsync(storeId, json, "sweep", null, null, cancellationToken) == IntakeOutcome.Accepted)
                {
                    fed++;
                }
            }

            if (order.DateModifiedGmt is { } changed && new DateTimeOffset(DateTime.SpecifyKind(changed, DateTimeKind.Utc)) > newest)
            {
                newest = new DateTimeOffset(DateTime.SpecifyKind(changed, DateTimeKind.Utc));
            }
        }

        await dapr.SaveStateAsync(DaprComponents.StateStore, cursorKey, newest, cancellationToken: cancellationToken);
        var reactivated = await webhooks.EnsureAsync(storeId, cancellationToken);
        if (fed > 0 || reactivated > 0)
        {
            LogSwept(logger, storeId, listed, fed, reactivated);
        }

        return new SweepReport(storeId, listed, fed, reactivated, newest);
    }

    public static IEndpointRouteBuilder MapReconciliationSweep(IEndpointRouteBuilder app)
    {
        app.MapPost($"/{BindingName}", async (ReconciliationSweep sweep, CancellationToken cancellationToken) =>
                Results.Ok(await sweep.RunAsync(cancellationToken)))
            .RequireDaprRuntime();
        return app;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep of {StoreId}: {Listed} orders listed, {Fed} fed to intake, {Reactivated} webhooks re-activated")]
    private static partial void LogSwept(ILogger logger, string storeId, int listed, int fed, int reactivated);
}
