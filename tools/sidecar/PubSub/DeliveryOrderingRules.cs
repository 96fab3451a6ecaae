using Storebridge.Sidecar.Config;
using Storebridge.Sidecar.Storage;

namespace Storebridge.Sidecar.PubSub;

/// <summary>
/// Which subscriptions get ordered delivery: where the Dapr component behind the name would give it (decision 0013).
/// A subscription's metadata may set the same keys as the component's (daprd hands both to the component).
/// </summary>
internal static class DeliveryOrderingRules
{
    public static DeliveryOrdering For(ComponentSpec component, SubscriptionSpec subscription)
    {
        string? Setting(string key) => subscription.Metadata.GetValueOrDefault(key) ?? component.Meta(key);

        // Single-consumer settings: the generic concurrencyMode (RabbitMQ, MQTT and others), Service Bus's
        // maxConcurrentHandlers and Redis Streams' worker count.
        if (Setting("concurrencyMode") == "single"
            || Setting("maxConcurrentHandlers") == "1"
            || (component.Type == "pubsub.redis" && Setting("concurrency") == "1"))
        {
            return DeliveryOrdering.PerTopic;
        }

        // Kafka hands each partition's messages to the app one at a time; the partition follows the message key.
        return component.Type == "pubsub.kafka" ? DeliveryOrdering.PerKey : DeliveryOrdering.Concurrent;
    }
}
