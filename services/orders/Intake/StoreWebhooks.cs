using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Storebridge.ServiceDefaults.Exceptions;
using Storebridge.WooCommerce;
using Storebridge.WooCommerce.Models;

namespace Storebridge.Orders.Intake;

/// <summary>
/// Makes sure a store has the order webhooks Storebridge needs: creates the missing ones pointing at
/// <see cref="StoreOrderSettings.WebhookUrl"/> and re-activates order webhooks the store disabled after failed
/// deliveries. Both <see cref="WebhookRegistration"/> (at start) and <see cref="ReconciliationSweep"/> (on every tick) use it.
/// </summary>
public sealed partial class StoreWebhooks(
    IWooCommerceClientFactory stores,
    ExceptionQueue exceptions,
    IOptionsMonitor<OrdersOptions> options,
    TimeProvider time,
    ILogger<StoreWebhooks> logger)
{
    /// <summary>Order webhooks Storebridge needs; created when missing, re-activated when the store disabled them.</summary>
    public static readonly IReadOnlyList<string> OrderTopics = ["order.created", "order.updated"];

    // Start-up registration and a sweep tick can meet on the same store; one at a time, so neither creates a second copy.
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Ensures the store's order webhooks; returns how many disabled ones it re-activated.</summary>
    public async Task<int> EnsureAsync(string storeId, CancellationToken cancellationToken)
    {
        var gate = _gates.GetOrAdd(storeId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            return await EnsureUnderGateAsync(storeId, stores.GetClient(storeId), cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<int> EnsureUnderGateAsync(string storeId, WooCommerceClient client, CancellationToken cancellationToken)
    {
        var reactivated = 0;
        var webhooks = await client.ListWebhooksAsync(cancellationToken);
        if (options.CurrentValue.For(storeId).WebhookUrl is { } url)
        {
            foreach (var topic in OrderTopics.Where(t => !webhooks.Any(w => w.Topic == t && w.DeliveryUrl == url.ToString())))
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

        if (options.CurrentValue.For(storeId).WebhookUrl is { } ours)
        {
            await RemoveDuplicatesAsync(storeId, client, webhooks, ours.ToString(), cancellationToken);
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
                Resolution = "Re-activated by Storebridge; orders modified meanwhile are fed from the reconciliation sweep.",
            }, cancellationToken);
            LogReactivated(logger, storeId, id, webhook.Topic);
        }

        return reactivated;
    }

    // Replicas starting together each find no webhook and each create one (the gate above is per process), and then
    // every order arrives once per copy. Every replica keeps the oldest of each topic and removes the rest, so they
    // agree without talking to each other; a copy another replica removed first is already gone.
    private async Task RemoveDuplicatesAsync(string storeId, WooCommerceClient client, List<WooWebhook> webhooks, string url, CancellationToken cancellationToken)
    {
        var extras = webhooks
            .Where(w => w.DeliveryUrl == url && w.Id is not null && OrderTopics.Contains(w.Topic ?? ""))
            .GroupBy(w => w.Topic)
            .SelectMany(copies => copies.OrderBy(w => w.Id).Skip(1))
            .ToList();
        foreach (var extra in extras)
        {
            try
            {
                await client.DeleteWebhookAsync(extra.Id!.Value, cancellationToken);
            }
            catch (WooApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
            }

            webhooks.Remove(extra);
            LogDuplicateRemoved(logger, storeId, extra.Topic, extra.Id!.Value);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Store {StoreId} had a second {Topic} webhook to Storebridge; removed webhook {WebhookId}")]
    private static partial void LogDuplicateRemoved(ILogger logger, string storeId, string? topic, long webhookId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Store {StoreId} had no {Topic} webhook to Storebridge; created webhook {WebhookId}")]
    private static partial void LogWebhookCreated(ILogger logger, string storeId, string topic, long? webhookId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Store {StoreId} had disabled webhook {WebhookId} ({Topic}); re-activated it")]
    private static partial void LogReactivated(ILogger logger, string storeId, long webhookId, string? topic);
}
