using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Storebridge.Sidecar.Hosting;

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
        var messages = new List<(string, string, byte[], string, bool)>(items.Count);
        foreach (var item in items)
        {
            if (item.Metadata.TryGetValue("rawPayload", out var rawText) && bool.TryParse(rawText, out var raw) && raw)
            {
                messages.Add((pubsub, topic, item.Data, item.ContentType ?? "application/octet-stream", true));
                continue;
            }

            var envelope = Envelope(pubsub, topic, item, traceparent, now);
            messages.Add((pubsub, topic, envelope, CloudEventsContentType, false));
        }

        await runtime.Store.PublishAsync(messages, now, ct).ConfigureAwait(false);
    }

    private byte[] Envelope(string pubsub, string topic, PublishItem item, string? traceparent, DateTimeOffset now)
    {
        var contentType = string.IsNullOrEmpty(item.ContentType) ? "application/json" : item.ContentType;
        var trace = TraceContext.ChildOf(traceparent);
        JsonObject ce;
        if (contentType.StartsWith(CloudEventsContentType, StringComparison.OrdinalIgnoreCase))
        {
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
        }
        else
        {
            ce = new JsonObject
            {
                ["specversion"] = "1.0",
                ["id"] = Guid.NewGuid().ToString(),
                ["source"] = runtime.AppId,
                ["type"] = "com.dapr.event.sent",
                ["datacontenttype"] = contentType,
            };
            if (IsJson(contentType))
            {
                try
                {
                    ce["data"] = item.Data.Length == 0 ? null : JsonNode.Parse(item.Data);
                }
                catch (JsonException ex)
                {
                    throw new BadPublishException($"data is declared {contentType} but is not valid JSON: {ex.Message}");
                }
            }
            else if (contentType.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase))
            {
                ce["data_base64"] = Convert.ToBase64String(item.Data);
            }
            else
            {
                ce["data"] = Encoding.UTF8.GetString(item.Data);
            }
        }

        // Metadata overrides as daprd accepts them (cloudevent.id, cloudevent.type, ...).
        foreach (var (key, value) in item.Metadata)
        {
            if (key.StartsWith("cloudevent.", StringComparison.Ordinal) && key.Length > "cloudevent.".Length)
            {
                ce[key["cloudevent.".Length..]] = value;
            }
        }

        ce["topic"] = topic;
        ce["pubsubname"] = pubsub;
        ce.TryAdd("time", now.ToString("yyyy-MM-dd'T'HH:mm:ss.fffK", System.Globalization.CultureInfo.InvariantCulture));
        ce.TryAdd("traceparent", trace);
        ce.TryAdd("traceid", trace);
        ce.TryAdd("tracestate", "");
        return JsonSerializer.SerializeToUtf8Bytes(ce);
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
        Span<byte> span = stackalloc byte[8];
        RandomNumberGenerator.Fill(span);
        var spanId = Convert.ToHexStringLower(span);
        if (parent is { Length: 55 } && parent[2] == '-' && parent[35] == '-' && parent[52] == '-')
        {
            return $"{parent[..36]}{spanId}{parent[52..]}";
        }

        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        return $"00-{traceId}-{spanId}-01";
    }
}
