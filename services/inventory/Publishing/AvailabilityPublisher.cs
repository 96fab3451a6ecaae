using System.Text.Json;
using Dapr.Client;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Storebridge.Contracts;
using Storebridge.Contracts.Inventory.V1;
using Storebridge.Inventory.Domain;

namespace Storebridge.Inventory.Publishing;

/// <summary>
/// Announces what changed: canonical events on pub/sub and stock pushes queued per store. Runs after the state
/// write succeeded; the state is the truth, so a lost event is repaired by the next change or a full re-publish.
/// </summary>
public sealed partial class AvailabilityPublisher(DaprClient dapr, StorePushQueue queue, TimeProvider time, ILogger<AvailabilityPublisher> logger)
{
    /// <summary>Publishes <c>inventory.availability-changed</c> for each change and queues the store pushes.</summary>
    public async Task AnnounceAsync(IReadOnlyList<AvailabilityChange> changes, CancellationToken cancellationToken)
    {
        if (changes.Count == 0)
        {
            return;
        }

        foreach (var change in changes)
        {
            queue.Enqueue(change.StoreId, change.Sku);
        }

        var now = Timestamp.FromDateTimeOffset(time.GetUtcNow());
        var events = changes.Select(c => ToJson(new AvailabilityChanged
        {
            Sku = c.Sku,
            StoreId = c.StoreId,
            PreviousAvailable = c.Previous ?? 0,
            Available = c.Available,
            OccurredAt = now,
        })).ToList();
        try
        {
            var metadata = CloudEventMetadata(AvailabilityChanged.Descriptor.FullName);
            if (events.Count == 1)
            {
                await dapr.PublishEventAsync(PubSub.Name, Topics.InventoryAvailabilityChanged, events[0], metadata, cancellationToken);
            }
            else
            {
                var result = await dapr.BulkPublishEventAsync(PubSub.Name, Topics.InventoryAvailabilityChanged, events, metadata, cancellationToken);
                if (result.FailedEntries.Count > 0)
                {
                    LogPublishFailed(logger, Topics.InventoryAvailabilityChanged, result.FailedEntries.Count, null);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogPublishFailed(logger, Topics.InventoryAvailabilityChanged, events.Count, ex);
        }
    }

    /// <summary>Publishes one canonical event; failures are logged, not thrown, because the state change already stands.</summary>
    public async Task PublishAsync(string topic, IMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await dapr.PublishEventAsync(PubSub.Name, topic, ToJson(message), CloudEventMetadata(message.Descriptor.FullName), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogPublishFailed(logger, topic, 1, ex);
        }
    }

    private static Dictionary<string, string> CloudEventMetadata(string type) => new() { ["cloudevent.type"] = type };

    private static JsonElement ToJson(IMessage message) => JsonDocument.Parse(EventJson.Format(message)).RootElement.Clone();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing {Count} event(s) to {Topic} failed; state is unaffected")]
    private static partial void LogPublishFailed(ILogger logger, string topic, int count, Exception? exception);
}
