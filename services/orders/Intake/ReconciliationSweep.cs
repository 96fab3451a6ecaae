using System.Text.Json;
using Dapr.Client;
using Storebridge.ServiceDefaults;
using Storebridge.ServiceDefaults.Exceptions;
using Storebridge.ServiceDefaults.Security;
using Microsoft.Extensions.Options;
using Storebridge.WooCommerce;
using Storebridge.WooCommerce.Models;

namespace Storebridge.Orders.Intake;

/// <summary>What one sweep of one store found.</summary>
public sealed record SweepReport(string StoreId, int Listed, int Fed, int WebhooksReactivated, DateTimeOffset Cursor);

/// <summary>
/// Webhooks alone lose orders (deliveries never sent, webhooks disabled after five failures with no redelivery).
/// On every tick of the <c>orders-sweep</c> cron binding this lists each store's orders modified since the last cursor
/// and feeds intake every version its workflow has not seen, then re-activates disabled order webhooks.
/// </summary>
public sealed partial class ReconciliationSweep(
    IWooCommerceClientFactory stores,
    OrderIntake intake,
    OrderInbox inbox,
    ExceptionQueue exceptions,
    IOptionsMonitor<OrdersOptions> options,
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
            var json = JsonSerializer.SerializeToElement(order, WooJson.Options);
            if (!OrderIntake.TryReadVersion(json, out var orderId, out var modified))
            {
                continue;
            }

            // Anything not older than the dispatched mark goes to intake; the inbox recognises versions it already has.
            var last = await inbox.GetLastDispatchedAsync(storeId, orderId, cancellationToken);
            if (last is null || string.CompareOrdinal(last, modified) <= 0)
            {
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
        var reactivated = await EnsureWebhooksAsync(storeId, client, cancellationToken);
        if (fed > 0 || reactivated > 0)
        {
            LogSwept(logger, storeId, listed, fed, reactivated);
        }

        return new SweepReport(storeId, listed, fed, reactivated, newest);
    }

    /// <summary>Order webhooks Storebridge needs; created when missing, re-activated when the store disabled them.</summary>
    public static readonly IReadOnlyList<string> OrderWebhookTopics = ["order.created", "order.updated"];

    private async Task<int> EnsureWebhooksAsync(string storeId, WooCommerceClient client, CancellationToken cancellationToken)
    {
        var reactivated = 0;
        var webhooks = await client.ListWebhooksAsync(cancellationToken);
        if (options.CurrentValue.For(storeId).WebhookUrl is { } url)
        {
            foreach (var topic in OrderWebhookTopics.Where(t => !webhooks.Any(w => w.Topic == t && w.DeliveryUrl == url.ToString())))
            {
                var created = await client.CreateWebhookAsync(new WooWebhook
                {
                    Name = $"Storebridge {topic}",
                    Topic = topic,
                    DeliveryUrl = url.ToString(),
                    Secret = stores.GetStore(storeId).WebhookSecret,
                    Status = "active",
                }, cancellationToken);
                webhooks.Add(created);
                LogWebhookCreated(logger, storeId, topic, created.Id);
            }
        }

        foreach (var webhook in webhooks)
        {
            if (webhook.Status != "disabled" || webhook.Topic?.StartsWith("order.", StringComparison.Ordinal) != true || webhook.Id is not { } id)
            {
                continue;
            }

            await client.ReactivateWebhookAsync(id, cancellationToken);
            reactivated++;
            // Kept as a resolved record so operators see that deliveries were lost (and recovered by the sweep).
            await exceptions.AddAsync(new ExceptionRecord
            {
                Id = $"webhook-disabled-{storeId}-{id}-{time.GetUtcNow():yyyyMMddHHmmss}",
                Kind = "webhook-reactivated",
                Reason = $"Webhook {id} ({webhook.Topic}) was disabled by the store after {webhook.FailureCount ?? 0} failed deliveries.",
                StoreId = storeId,
                Status = ExceptionStatus.Resolved,
                Resolution = "Re-activated by the reconciliation sweep; orders modified meanwhile are fed from the sweep.",
            }, cancellationToken);
            LogReactivated(logger, storeId, id, webhook.Topic);
        }

        return reactivated;
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Store {StoreId} had no {Topic} webhook to Storebridge; created webhook {WebhookId}")]
    private static partial void LogWebhookCreated(ILogger logger, string storeId, string topic, long? webhookId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Store {StoreId} had disabled webhook {WebhookId} ({Topic}); re-activated it")]
    private static partial void LogReactivated(ILogger logger, string storeId, long webhookId, string? topic);
}
