using System.Text;
using Dapr.Client;
using Google.Protobuf;
using Storebridge.Contracts;

namespace Storebridge.ServiceDefaults.Events;

/// <summary>
/// Publishes canonical events the way ARCHITECTURE.md promises subscribers: topic from <see cref="EventCatalog"/>,
/// CloudEvent <c>type</c> = the message's versioned full name, <c>data</c> = protobuf JSON, and a CloudEvent
/// <c>id</c> derived from the business event so a retried publish carries the same id (subscribers dedupe on it).
/// </summary>
public sealed class EventPublisher(DaprClient dapr)
{
    public Task PublishAsync(IMessage message, string eventId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var definition = EventCatalog.ForMessage(message.Descriptor);
        var metadata = new Dictionary<string, string>
        {
            ["cloudevent.id"] = eventId,
            ["cloudevent.type"] = definition.CloudEventType,
        };
        return dapr.PublishByteEventAsync(PubSub.Name, definition.Topic, Encoding.UTF8.GetBytes(EventJson.Format(message)),
            "application/json", metadata, cancellationToken);
    }
}
