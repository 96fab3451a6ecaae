using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Storebridge.Sidecar.Hosting;
using Storebridge.Sidecar.Invocation;
using Storebridge.Sidecar.PubSub;
using Storebridge.Sidecar.Resilience;
using Storebridge.Sidecar.Storage;

namespace Storebridge.Sidecar.Api;

/// <summary>Dapr error bodies: <c>{"errorCode": "...", "message": "..."}</c>.</summary>
internal static class ApiErrors
{
    public static async Task WriteAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var body = JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["errorCode"] = code, ["message"] = message });
        await context.Response.Body.WriteAsync(body).ConfigureAwait(false);
    }

    public static IResult Result(int status, string code, string message) =>
        Results.Json(new JsonObject { ["errorCode"] = code, ["message"] = message }, statusCode: status);
}

/// <summary>The Dapr HTTP API (<c>/v1.0/...</c>) with the status codes of the Dapr API reference.</summary>
internal static class HttpApi
{
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var v1 = endpoints.MapGroup("/v1.0");
        v1.MapGet("/healthz", (SidecarRuntime rt) =>
            rt.AppReady.IsCompleted ? Results.NoContent() : ApiErrors.Result(500, "ERR_HEALTH_NOT_READY", "dapr is not ready"));
        v1.MapGet("/healthz/outbound", () => Results.NoContent());
        v1.MapGet("/metadata", (SidecarRuntime rt) => Results.Json(MetadataView.Build(rt)));
        v1.MapPut("/metadata/{key}", async (string key, HttpRequest request, SidecarRuntime rt) =>
        {
            using var reader = new StreamReader(request.Body, Encoding.UTF8);
            rt.ExtendedMetadata[key] = await reader.ReadToEndAsync().ConfigureAwait(false);
            return Results.NoContent();
        });

        v1.MapPost("/state/{store}", SaveStateAsync);
        v1.MapPost("/state/{store}/bulk", GetBulkStateAsync);
        v1.MapPost("/state/{store}/transaction", TransactionAsync);
        v1.MapGet("/state/{store}/{*key}", GetState);
        v1.MapDelete("/state/{store}/{*key}", DeleteStateAsync);

        v1.MapPost("/publish/{pubsub}/{*topic}", PublishAsync);
        endpoints.MapPost("/v1.0-alpha1/publish/bulk/{pubsub}/{*topic}", BulkPublishAsync);
        v1.MapPost("/publish/bulk/{pubsub}/{*topic}", BulkPublishAsync);

        v1.MapGet("/secrets/{store}/bulk", GetBulkSecrets);
        v1.MapGet("/secrets/{store}/{name}", GetSecret);

        v1.MapPost("/bindings/{name}", (string name) =>
            ApiErrors.Result(500, "ERR_INVOKE_OUTPUT_BINDING", $"couldn't find output binding {name}"));

        v1.Map("/invoke/{appId}/method/{*method}", (HttpContext context, string appId, string? method, Invoker invoker) =>
            invoker.InvokeHttpAsync(context, appId, method ?? ""));
    }

    // ------------------------------------------------------------------ state

    private static IResult? StoreMissing(SidecarRuntime rt, string store) =>
        rt.HasStateStore(store) ? null : ApiErrors.Result(400, "ERR_STATE_STORE_NOT_FOUND", $"state store {store} is not found");

    private static IResult GetState(string store, string key, SidecarRuntime rt, HttpResponse response)
    {
        if (StoreMissing(rt, store) is { } missing)
        {
            return missing;
        }

        var entry = rt.ReadState(key);
        if (entry is null)
        {
            return Results.NoContent();
        }

        response.Headers.ETag = entry.ETag;
        if (entry.ExpiresAt is { } expiresAt)
        {
            // daprd answers a value's metadata as "metadata.<key>" headers.
            response.Headers[$"metadata.{StateTtl.ExpireTimeKey}"] = StateTtl.Format(expiresAt);
        }

        return Results.Bytes(entry.Value, entry.ContentType ?? "application/json");
    }

    private static async Task<IResult> SaveStateAsync(string store, HttpRequest request, SidecarRuntime rt)
    {
        if (StoreMissing(rt, store) is { } missing)
        {
            return missing;
        }

        JsonArray items;
        try
        {
            items = await JsonNode.ParseAsync(request.Body).ConfigureAwait(false) as JsonArray ?? throw new JsonException("expected a JSON array of state objects");
        }
        catch (JsonException ex)
        {
            return ApiErrors.Result(400, "ERR_MALFORMED_REQUEST", $"failed deserializing HTTP body: {ex.Message}");
        }

        var writes = new List<StateWrite>();
        foreach (var node in items)
        {
            if (node is not JsonObject item || item["key"]?.GetValue<string>() is not { Length: > 0 } key)
            {
                return ApiErrors.Result(400, "ERR_MALFORMED_REQUEST", "each state object needs a non-empty key");
            }

            if (key.Contains("||", StringComparison.Ordinal))
            {
                return ApiErrors.Result(400, "ERR_MALFORMED_REQUEST", $"input key/keyPrefix '{key}' can't contain '||'");
            }

            try
            {
                writes.Add(ToWrite(rt, item, key, delete: false, ContentTypeOf(request, item), TtlOf(request, item)));
            }
            catch (InvalidTtlException ex)
            {
                return ApiErrors.Result(500, "ERR_STATE_SAVE", $"failed saving state in state store {store}: {ex.Message}");
            }
        }

        return await WriteAsync(rt, store, writes, "ERR_STATE_SAVE").ConfigureAwait(false);
    }

    private static string? ContentTypeOf(HttpRequest request, JsonObject item) =>
        item["metadata"]?["contentType"]?.GetValue<string>() ?? request.Query["metadata.contentType"].FirstOrDefault();

    // Per item (metadata.ttlInSeconds), else for the whole request (?metadata.ttlInSeconds=). A JSON number is taken
    // as its digits.
    private static int? TtlOf(HttpRequest request, JsonObject item) =>
        StateTtl.Parse(item["metadata"]?[StateTtl.RequestKey] switch
        {
            null => request.Query[$"metadata.{StateTtl.RequestKey}"].FirstOrDefault(),
            JsonValue v when v.TryGetValue<string>(out var text) => text,
            var other => other.ToJsonString(),
        });

    private static StateWrite ToWrite(SidecarRuntime rt, JsonObject item, string key, bool delete, string? contentType, int? ttlSeconds = null)
    {
        var concurrency = item["options"]?["concurrency"]?.GetValue<string>();
        byte[]? value = null;
        if (!delete)
        {
            var node = item["value"];
            value = node is null ? Encoding.UTF8.GetBytes("null") : Encoding.UTF8.GetBytes(node.ToJsonString());
        }

        return new StateWrite(rt.StateKey(key), value, item["etag"]?.GetValue<string>(), concurrency == "first-write", contentType, ttlSeconds);
    }

    private static async Task<IResult> WriteAsync(SidecarRuntime rt, string store, IReadOnlyList<StateWrite> writes, string errorCode)
    {
        try
        {
            await rt.WriteStateAsync(store, writes, CancellationToken.None).ConfigureAwait(false);
            return Results.NoContent();
        }
        catch (Exception ex) when (ex is CircuitOpenException or PolicyTimeoutException)
        {
            return ApiErrors.Result(500, errorCode, $"failed in state store {store}: {ex.Message}");
        }
        catch (ETagMismatchException ex)
        {
            return ApiErrors.Result(409, errorCode, $"failed saving state in state store: possible etag mismatch for key {ex.Key[(rt.AppId.Length + 2)..]}");
        }
    }

    private static async Task<IResult> DeleteStateAsync(string store, string key, HttpRequest request, SidecarRuntime rt)
    {
        if (StoreMissing(rt, store) is { } missing)
        {
            return missing;
        }

        var etag = request.Headers.IfMatch.FirstOrDefault();
        return await WriteAsync(rt, store, [new StateWrite(rt.StateKey(key), null, etag, false)], "ERR_STATE_DELETE").ConfigureAwait(false);
    }

    private static async Task<IResult> GetBulkStateAsync(string store, HttpRequest request, SidecarRuntime rt)
    {
        if (StoreMissing(rt, store) is { } missing)
        {
            return missing;
        }

        JsonArray? keys;
        try
        {
            keys = (await JsonNode.ParseAsync(request.Body).ConfigureAwait(false))?["keys"] as JsonArray;
        }
        catch (JsonException ex)
        {
            return ApiErrors.Result(400, "ERR_MALFORMED_REQUEST", $"failed deserializing HTTP body: {ex.Message}");
        }

        if (keys is null)
        {
            return ApiErrors.Result(400, "ERR_MALFORMED_REQUEST", "body needs a keys array");
        }

        var result = new JsonArray();
        foreach (var keyNode in keys)
        {
            var key = keyNode?.GetValue<string>() ?? "";
            var item = new JsonObject { ["key"] = key };
            if (rt.ReadState(key) is { } entry)
            {
                item["data"] = AsJson(entry.Value);
                item["etag"] = entry.ETag;
                if (entry.ExpiresAt is { } expiresAt)
                {
                    item["metadata"] = new JsonObject { [StateTtl.ExpireTimeKey] = StateTtl.Format(expiresAt) };
                }
            }

            result.Add(item);
        }

        return Results.Json(result);
    }

    private static JsonNode? AsJson(byte[] value)
    {
        try
        {
            return JsonNode.Parse(value);
        }
        catch (JsonException)
        {
            return Encoding.UTF8.GetString(value);
        }
    }

    private static async Task<IResult> TransactionAsync(string store, HttpRequest request, SidecarRuntime rt)
    {
        if (StoreMissing(rt, store) is { } missing)
        {
            return missing;
        }

        JsonArray? operations;
        try
        {
            operations = (await JsonNode.ParseAsync(request.Body).ConfigureAwait(false))?["operations"] as JsonArray;
        }
        catch (JsonException ex)
        {
            return ApiErrors.Result(400, "ERR_MALFORMED_REQUEST", $"failed deserializing HTTP body: {ex.Message}");
        }

        if (operations is null)
        {
            return ApiErrors.Result(400, "ERR_MALFORMED_REQUEST", "body needs an operations array");
        }

        var writes = new List<StateWrite>();
        foreach (var node in operations)
        {
            var operation = node?["operation"]?.GetValue<string>();
            if (node?["request"] is not JsonObject item || item["key"]?.GetValue<string>() is not { Length: > 0 } key)
            {
                return ApiErrors.Result(400, "ERR_MALFORMED_REQUEST", "each operation needs a request with a key");
            }

            switch (operation)
            {
                case "upsert":
                    try
                    {
                        writes.Add(ToWrite(rt, item, key, delete: false, ContentTypeOf(request, item), TtlOf(request, item)));
                    }
                    catch (InvalidTtlException ex)
                    {
                        return ApiErrors.Result(500, "ERR_STATE_TRANSACTION", $"error while executing state transaction: {ex.Message}");
                    }

                    break;
                case "delete":
                    writes.Add(ToWrite(rt, item, key, delete: true, null));
                    break;
                default:
                    return ApiErrors.Result(400, "ERR_NOT_SUPPORTED_STATE_OPERATION", $"operation type {operation} not supported");
            }
        }

        return await WriteAsync(rt, store, writes, "ERR_STATE_TRANSACTION").ConfigureAwait(false);
    }

    // ------------------------------------------------------------------ pub/sub

    private static Dictionary<string, string> QueryMetadata(HttpRequest request)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, values) in request.Query)
        {
            if (key.StartsWith("metadata.", StringComparison.Ordinal))
            {
                metadata[key["metadata.".Length..]] = values.ToString();
            }
        }

        return metadata;
    }

    private static async Task<IResult> PublishAsync(string pubsub, string? topic, HttpRequest request, Publisher publisher)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer).ConfigureAwait(false);
        var item = new PublishItem(buffer.ToArray(), request.ContentType, QueryMetadata(request));
        return await PublishItemsAsync(publisher, pubsub, topic, [item], request).ConfigureAwait(false);
    }

    private static async Task<IResult> BulkPublishAsync(string pubsub, string? topic, HttpRequest request, Publisher publisher)
    {
        var common = QueryMetadata(request);
        var items = new List<PublishItem>();
        try
        {
            if (await JsonNode.ParseAsync(request.Body).ConfigureAwait(false) is not JsonArray entries)
            {
                return ApiErrors.Result(400, "ERR_PUBSUB_EVENTS_SER", "body must be an array of entries");
            }

            foreach (var entry in entries)
            {
                var contentType = entry?["contentType"]?.GetValue<string>() ?? "application/json";
                var ev = entry?["event"];
                var data = ev is JsonValue v && v.TryGetValue<string>(out var text) && !Publisher.IsJson(contentType)
                    ? Encoding.UTF8.GetBytes(text)
                    : Encoding.UTF8.GetBytes(ev?.ToJsonString() ?? "null");
                var metadata = new Dictionary<string, string>(common, StringComparer.Ordinal);
                if (entry?["metadata"] is JsonObject meta)
                {
                    foreach (var (k, mv) in meta)
                    {
                        metadata[k] = mv?.ToString() ?? "";
                    }
                }

                items.Add(new PublishItem(data, contentType, metadata));
            }
        }
        catch (JsonException ex)
        {
            return ApiErrors.Result(400, "ERR_PUBSUB_EVENTS_SER", ex.Message);
        }

        return await PublishItemsAsync(publisher, pubsub, topic, items, request).ConfigureAwait(false);
    }

    private static async Task<IResult> PublishItemsAsync(Publisher publisher, string pubsub, string? topic, IReadOnlyList<PublishItem> items, HttpRequest request)
    {
        if (string.IsNullOrEmpty(topic))
        {
            return ApiErrors.Result(404, "ERR_TOPIC_EMPTY", $"topic is empty in pubsub {pubsub}");
        }

        try
        {
            await publisher.PublishAsync(pubsub, topic, items, request.Headers["traceparent"].FirstOrDefault(), request.HttpContext.RequestAborted).ConfigureAwait(false);
            return Results.NoContent();
        }
        catch (PubSubNotFoundException ex)
        {
            return ApiErrors.Result(404, "ERR_PUBSUB_NOT_FOUND", ex.Message);
        }
        catch (BadPublishException ex)
        {
            return ApiErrors.Result(400, "ERR_PUBSUB_CLOUD_EVENTS_SER", ex.Message);
        }
        catch (Exception ex) when (ex is CircuitOpenException or PolicyTimeoutException)
        {
            return ApiErrors.Result(500, "ERR_PUBSUB_PUBLISH_MESSAGE", $"error when publish to topic {topic} in pubsub {pubsub}: {ex.Message}");
        }
    }

    // ------------------------------------------------------------------ secrets

    private static IResult GetSecret(string store, string name, SidecarRuntime rt)
    {
        if (rt.SecretStore(store) is not { } secrets)
        {
            return ApiErrors.Result(400, "ERR_SECRET_STORE_NOT_FOUND", $"failed finding secret store with key {store}");
        }

        return secrets.Get(name) is { } value ? Results.Json(value) : Results.NoContent();
    }

    private static IResult GetBulkSecrets(string store, SidecarRuntime rt) =>
        rt.SecretStore(store) is { } secrets
            ? Results.Json(secrets.GetAll())
            : ApiErrors.Result(400, "ERR_SECRET_STORE_NOT_FOUND", $"failed finding secret store with key {store}");
}

/// <summary>The JSON shape of <c>GET /v1.0/metadata</c>.</summary>
internal static class MetadataView
{
    public const string RuntimeVersion = "1.16.0-storebridge-local";

    public static JsonObject Build(SidecarRuntime rt)
    {
        var components = new JsonArray();
        foreach (var c in rt.Components)
        {
            components.Add(new JsonObject { ["name"] = c.Name, ["type"] = c.Type, ["version"] = "v1", ["capabilities"] = new JsonArray() });
        }

        var subscriptions = new JsonArray();
        foreach (var (spec, declarative) in rt.Subscriptions)
        {
            var rules = new JsonArray();
            foreach (var rule in spec.Rules)
            {
                rules.Add(new JsonObject { ["match"] = rule.Match, ["path"] = rule.Path });
            }

            if (spec.DefaultRoute is { } route)
            {
                rules.Add(new JsonObject { ["match"] = "", ["path"] = route });
            }

            var meta = new JsonObject();
            foreach (var (k, v) in spec.Metadata)
            {
                meta[k] = v;
            }

            subscriptions.Add(new JsonObject
            {
                ["pubsubname"] = spec.PubSubName,
                ["topic"] = spec.Topic,
                ["deadLetterTopic"] = spec.DeadLetterTopic ?? "",
                ["metadata"] = meta,
                ["rules"] = rules,
                ["type"] = declarative ? "DECLARATIVE" : "PROGRAMMATIC",
            });
        }

        var extended = new JsonObject();
        foreach (var (k, v) in rt.ExtendedMetadata)
        {
            extended[k] = v;
        }

        return new JsonObject
        {
            ["id"] = rt.AppId,
            ["runtimeVersion"] = RuntimeVersion,
            ["enabledFeatures"] = new JsonArray(),
            ["actors"] = new JsonArray(),
            ["components"] = components,
            ["extended"] = extended,
            ["subscriptions"] = subscriptions,
            ["httpEndpoints"] = new JsonArray(),
            ["appConnectionProperties"] = new JsonObject
            {
                ["port"] = rt.Options.AppPort ?? 0,
                ["protocol"] = rt.Options.AppProtocol,
                ["channelAddress"] = rt.Options.AppHost,
            },
        };
    }
}
