using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Storebridge.Sidecar.Hosting;
using Storebridge.Sidecar.Storage;

namespace Storebridge.Sidecar.PubSub;

/// <summary>A publish request that names an unknown pub/sub component.</summary>
internal sealed class PubSubNotFoundException(string name) : Exception($"pubsub {name} is not found");

/// <summary>A publish request the runtime cannot turn into a message (bad CloudEvent, bad metadata).</summary>
internal sealed class BadPublishException(string message) : Exception(message);

/// <summary>One message to publish, as received from the app.</summary>
internal sealed record PublishItem(byte[] Data, string? ContentType, IReadOnlyDictionary<string, string> Metadata);

/// <summary>Wraps published data in CloudEvents 1.0 envelopes (unless rawPayload) and stores them durably.</summary>
internal sealed class Publisher(SidecarRuntime runtime)
{
    public const string CloudEventsContentType = "application/cloudevents+json";

    public async Task PublishAsync(string pubsub, string topic, IReadOnlyList<PublishItem> items, string? traceparent, CancellationToken ct)
    {
        if (!runtime.HasPubSub(pubsub))
        {
            throw new PubSubNotFoundException(pubsub);
        }

        if (string.IsNullOrEmpty(topic))
        {
            throw new BadPublishException("topic is empty");
        }

        var now = runtime.Time.GetUtcNow();
        var messages = new List<NewMessage>(items.Count);
        foreach (var item in items)
        {
            var trace = TraceContext.ChildOf(traceparent);
            // Kafka's message key (Dapr publish metadata partitionKey, or __key): messages with one key stay in order.
            var key = item.Metadata.GetValueOrDefault("partitionKey") ?? item.Metadata.GetValueOrDefault("__key");
            if (item.Metadata.TryGetValue("rawPayload", out var rawText) && bool.TryParse(rawText, out var raw) && raw)
            {
                messages.Add(new NewMessage(pubsub, topic, item.Data, item.ContentType ?? "application/octet-stream", true, trace, key));
                continue;
            }

            // No content type: JSON when the data parses as JSON, text otherwise.
            var contentType = !string.IsNullOrEmpty(item.ContentType) ? item.ContentType
                : item.Data.Length == 0 || IsValidJson(item.Data) ? "application/json" : "text/plain";
            var envelope = contentType.StartsWith(CloudEventsContentType, StringComparison.OrdinalIgnoreCase)
                ? CompleteCloudEvent(pubsub, topic, item, ref trace, now)
                : Envelope(pubsub, topic, item, contentType, trace, now);
            messages.Add(new NewMessage(pubsub, topic, envelope, CloudEventsContentType, false, trace, key));
        }

        if (runtime.Policies.ForOutbound(pubsub) is { } policy)
        {
            await policy.RunAsync(token => Task.Run(() => runtime.Store.PublishAsync(messages, now, token), token), null, ct).ConfigureAwait(false);
            return;
        }

        await runtime.Store.PublishAsync(messages, now, ct).ConfigureAwait(false);
    }

    // The common case, written straight to UTF-8: the data is embedded as JSON, text or base64.
    private byte[] Envelope(string pubsub, string topic, PublishItem item, string contentType, string trace, DateTimeOffset now)
    {
        var buffer = new ArrayBufferWriter<byte>(item.Data.Length + 512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            var meta = item.Metadata;
            w.WriteStartObject();
            w.WriteString("specversion", "1.0");
            w.WriteString("id", meta.GetValueOrDefault("cloudevent.id") ?? Guid.NewGuid().ToString());
            w.WriteString("source", meta.GetValueOrDefault("cloudevent.source") ?? runtime.AppId);
            w.WriteString("type", meta.GetValueOrDefault("cloudevent.type") ?? "com.dapr.event.sent");
            w.WriteString("datacontenttype", contentType);
            if (IsJson(contentType))
            {
                w.WritePropertyName("data");
                if (item.Data.Length == 0)
                {
                    w.WriteNullValue();
                }
                else
                {
                    try
                    {
                        w.WriteRawValue(item.Data);
                    }
                    catch (JsonException ex)
                    {
                        throw new BadPublishException($"data is declared {contentType} but is not valid JSON: {ex.Message}");
                    }
                }
            }
            else if (contentType.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase))
            {
                w.WriteBase64String("data_base64", item.Data);
            }
            else
            {
                w.WriteString("data", Encoding.UTF8.GetString(item.Data));
            }

            w.WriteString("topic", topic);
            w.WriteString("pubsubname", pubsub);
            w.WriteString("time", meta.GetValueOrDefault("cloudevent.time") ?? Time(now));
            w.WriteString("traceparent", trace);
            w.WriteString("traceid", trace);
            w.WriteString("tracestate", "");
            foreach (var (key, value) in meta)
            {
                if (key.StartsWith("cloudevent.", StringComparison.Ordinal) && !StandardOverrides.Contains(key))
                {
                    w.WriteString(key["cloudevent.".Length..], value);
                }
            }

            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static readonly HashSet<string> StandardOverrides = new(StringComparer.Ordinal)
    {
        "cloudevent.id", "cloudevent.source", "cloudevent.type", "cloudevent.time", "cloudevent.",
        "cloudevent.specversion", "cloudevent.datacontenttype", "cloudevent.topic", "cloudevent.pubsubname",
        "cloudevent.traceparent", "cloudevent.traceid", "cloudevent.tracestate", "cloudevent.data", "cloudevent.data_base64",
    };

    // The app sent its own CloudEvent: keep it, fill in what is missing, stamp topic and pubsub.
    private byte[] CompleteCloudEvent(string pubsub, string topic, PublishItem item, ref string trace, DateTimeOffset now)
    {
        JsonObject ce;
        try
        {
            ce = JsonNode.Parse(item.Data) as JsonObject ?? throw new BadPublishException("the CloudEvent is not a JSON object");
        }
        catch (JsonException ex)
        {
            throw new BadPublishException($"the CloudEvent is not valid JSON: {ex.Message}");
        }

        ce.TryAdd("id", Guid.NewGuid().ToString());
        ce.TryAdd("source", runtime.AppId);
        ce.TryAdd("type", "com.dapr.event.sent");
        ce.TryAdd("specversion", "1.0");
        ce.TryAdd("datacontenttype", "application/json");
        foreach (var (key, value) in item.Metadata)
        {
            if (key.StartsWith("cloudevent.", StringComparison.Ordinal) && key.Length > "cloudevent.".Length)
            {
                ce[key["cloudevent.".Length..]] = value;
            }
        }

        ce["topic"] = topic;
        ce["pubsubname"] = pubsub;
        ce.TryAdd("time", Time(now));
        ce.TryAdd("traceparent", trace);
        ce.TryAdd("traceid", ce["traceparent"]?.ToString() ?? trace);
        ce.TryAdd("tracestate", "");
        trace = ce["traceparent"]?.ToString() ?? trace;
        return JsonSerializer.SerializeToUtf8Bytes(ce);
    }

    private static string Time(DateTimeOffset now) => now.ToString("yyyy-MM-dd'T'HH:mm:ss.fffK", System.Globalization.CultureInfo.InvariantCulture);

    private static bool IsValidJson(byte[] data)
    {
        var reader = new Utf8JsonReader(data);
        try
        {
            while (reader.Read())
            {
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public static bool IsJson(string contentType)
    {
        var media = contentType.Split(';', 2)[0].Trim();
        return media.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || media.EndsWith("+json", StringComparison.OrdinalIgnoreCase)
            || media.Equals("text/json", StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>W3C trace context helpers: every hop keeps the trace id and gets a new span id.</summary>
internal static class TraceContext
{
    /// <summary>A traceparent for the next hop: same trace as <paramref name="parent"/>, or a new trace.</summary>
    public static string ChildOf(string? parent)
    {
        // ActivitySpanId draws from a fast per-thread generator, as .NET's own spans do; a cryptographic generator
        // per hop was a tenth of the delivery path's CPU.
        var spanId = ActivitySpanId.CreateRandom();
        if (parent is { Length: 55 } && parent[2] == '-' && parent[35] == '-' && parent[52] == '-')
        {
            return string.Create(55, (parent, spanId), static (chars, state) =>
            {
                state.parent.AsSpan(0, 36).CopyTo(chars);
                state.spanId.ToHexString().AsSpan().CopyTo(chars[36..]);
                state.parent.AsSpan(52).CopyTo(chars[52..]);
            });
        }

        return $"00-{ActivityTraceId.CreateRandom().ToHexString()}-{spanId.ToHexString()}-01";
    }
}
