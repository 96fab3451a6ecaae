using System.Buffers;
using System.Text.Json;
using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Storebridge.Contracts;
using Storebridge.Inventory.Domain;

namespace Storebridge.Inventory.Publishing;

/// <summary>Hands outbox events to pub/sub; the seam tests use to watch or withhold publishing.</summary>
public interface IEventTransport
{
    /// <summary>Publishes events of one topic; returns the ids of those that failed.</summary>
    Task<IReadOnlyList<string>> SendAsync(string topic, IReadOnlyList<OutboxEvent> events, CancellationToken cancellationToken);
}

/// <summary>
/// Bulk-publishes through the Dapr gRPC API, each entry a complete CloudEvent carrying the outbox id. The SDK's
/// <c>BulkPublishEventAsync</c> cannot set a per-entry id (entry metadata stays empty), and the runtime keeps the
/// id of a CloudEvent the app sends, so that is how a re-published event keeps its identity.
/// </summary>
public sealed class DaprEventTransport : IEventTransport, IDisposable
{
    private const string CloudEventContentType = "application/cloudevents+json";
    private readonly GrpcChannel _channel;
    private readonly Dapr.Client.Autogen.Grpc.v1.Dapr.DaprClient _client;
    private readonly Metadata? _headers;
    private readonly string _source;

    /// <summary>Connects to the runtime's gRPC endpoint.</summary>
    /// <param name="grpcEndpoint">The runtime's gRPC endpoint (<c>DAPR_GRPC_ENDPOINT</c>).</param>
    /// <param name="apiToken">The runtime's API token, when it requires one.</param>
    /// <param name="source">CloudEvent source.</param>
    public DaprEventTransport(string grpcEndpoint, string? apiToken, string source = "inventory")
    {
        _channel = GrpcChannel.ForAddress(grpcEndpoint);
        _client = new Dapr.Client.Autogen.Grpc.v1.Dapr.DaprClient(_channel);
        _headers = string.IsNullOrEmpty(apiToken) ? null : new Metadata { { "dapr-api-token", apiToken } };
        _source = source;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> SendAsync(string topic, IReadOnlyList<OutboxEvent> events, CancellationToken cancellationToken)
    {
        var request = new BulkPublishRequest { PubsubName = PubSub.Name, Topic = topic };
        foreach (var item in events)
        {
            request.Entries.Add(new BulkPublishRequestEntry { EntryId = item.Id, ContentType = CloudEventContentType, Event = ByteString.CopyFrom(Envelope(item)) });
        }

        var response = await _client.BulkPublishEventAsync(request, _headers, cancellationToken: cancellationToken);
        return [.. response.FailedEntries.Select(f => f.EntryId)];
    }

    private byte[] Envelope(OutboxEvent item)
    {
        var buffer = new ArrayBufferWriter<byte>(item.Data.ValueKind == JsonValueKind.Undefined ? 256 : 512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("specversion", "1.0");
            writer.WriteString("id", item.Id);
            writer.WriteString("source", _source);
            writer.WriteString("type", item.Type);
            writer.WriteString("time", item.At);
            writer.WriteString("datacontenttype", "application/json");
            writer.WritePropertyName("data");
            item.Data.WriteTo(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <inheritdoc />
    public void Dispose() => _channel.Dispose();
}
