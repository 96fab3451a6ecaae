using System.Text.Json;
using System.Text.Json.Nodes;
using Storebridge.Sandbox.Erp.Frappe;

namespace Storebridge.Sandbox.Erp.Endpoints;

/// <summary>Writes responses as Frappe does: JSON objects with <c>data</c> or <c>message</c>, errors with Frappe's error body.</summary>
internal static class FrappeResults
{
    public static IResult Data(JsonNode? data, int status = 200) => Json(new JsonObject { ["data"] = data?.DeepClone() }, status);

    public static IResult Message(JsonNode? message, int status = 200) => Json(new JsonObject { ["message"] = message?.DeepClone() }, status);

    public static IResult Error(FrappeException error)
    {
        var result = Json(error.ToBody(), error.StatusCode);
        return error.RetryAfter is { } after ? new WithHeader(result, "Retry-After", ((int)after.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture)) : result;
    }

    public static IResult Json(JsonObject body, int status) =>
        Results.Content(body.ToJsonString(Frappe.Json.Options), "application/json; charset=utf-8", System.Text.Encoding.UTF8, status);

    /// <summary>Reads a JSON object body; anything else is a clear 417.</summary>
    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            throw FrappeException.Validation("Request body must be JSON (Content-Type: application/json)");
        }

        try
        {
            var node = await JsonNode.ParseAsync(request.Body, cancellationToken: ct);
            return node as JsonObject ?? throw FrappeException.Validation("Request body must be a JSON object");
        }
        catch (JsonException ex)
        {
            throw FrappeException.Validation($"Request body is not valid JSON: {ex.Message}");
        }
    }

    private sealed class WithHeader(IResult inner, string name, string value) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers[name] = value;
            return inner.ExecuteAsync(httpContext);
        }
    }
}
