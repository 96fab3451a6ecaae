using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Storebridge.Erp.ErpNext;

/// <summary>
/// The Frappe REST calls the adapter needs, over an <see cref="HttpClient"/> that already carries token auth and
/// the resilience pipeline. Every failure becomes an <see cref="ErpException"/>.
/// </summary>
internal sealed class FrappeClient(HttpClient http, ErpNextLog log)
{
    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>One page of <c>GET /api/resource/{doctype}</c>.</summary>
    public async Task<List<JsonObject>> ListAsync(
        string doctype, IEnumerable<string> fields, JsonArray filters, string orderBy, int start, int pageLength, CancellationToken ct)
    {
        var query = new StringBuilder("api/resource/").Append(Uri.EscapeDataString(doctype))
            .Append("?fields=").Append(Uri.EscapeDataString(JsonSerializer.Serialize(fields, JsonOptions)))
            .Append("&filters=").Append(Uri.EscapeDataString(filters.ToJsonString(JsonOptions)))
            .Append("&order_by=").Append(Uri.EscapeDataString(orderBy))
            .Append("&limit_start=").Append(start)
            .Append("&limit_page_length=").Append(pageLength);
        var root = await SendAsync(HttpMethod.Get, query.ToString(), null, $"list {doctype}", ct);
        return root?["data"] is JsonArray rows
            ? [.. rows.OfType<JsonObject>()]
            : throw new ErpException(ErpErrorKind.BadResponse, $"ERP list {doctype}: response has no data list");
    }

    /// <summary>Every row matching, page by page.</summary>
    public async IAsyncEnumerable<JsonObject> ListAllAsync(
        string doctype, IEnumerable<string> fields, JsonArray filters, string orderBy, int pageSize,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var fieldList = fields.ToList();
        for (var start = 0; ; start += pageSize)
        {
            var page = await ListAsync(doctype, fieldList, filters, orderBy, start, pageSize, ct);
            foreach (var row in page)
            {
                yield return row;
            }

            if (page.Count < pageSize)
            {
                yield break;
            }
        }
    }

    /// <summary><c>GET /api/resource/{doctype}/{name}</c>; null on 404.</summary>
    public async Task<JsonObject?> GetAsync(string doctype, string name, CancellationToken ct)
    {
        try
        {
            var root = await SendAsync(HttpMethod.Get, DocPath(doctype, name), null, $"get {doctype}", ct);
            return root?["data"] as JsonObject ?? throw new ErpException(ErpErrorKind.BadResponse, $"ERP get {doctype}: response has no data object");
        }
        catch (ErpException ex) when (ex.Kind == ErpErrorKind.NotFound)
        {
            return null;
        }
    }

    /// <summary><c>POST /api/resource/{doctype}</c>. Never retried at the HTTP level: callers look up before they create again.</summary>
    public async Task<JsonObject> InsertAsync(string doctype, JsonObject doc, CancellationToken ct) =>
        (await SendAsync(HttpMethod.Post, $"api/resource/{Uri.EscapeDataString(doctype)}", doc, $"create {doctype}", ct))?["data"] as JsonObject
        ?? throw new ErpException(ErpErrorKind.BadResponse, $"ERP create {doctype}: response has no data object");

    /// <summary><c>PUT /api/resource/{doctype}/{name}</c>; include <c>modified</c> to have the ERP refuse a stale update.</summary>
    public async Task<JsonObject> UpdateAsync(string doctype, string name, JsonObject changes, CancellationToken ct) =>
        (await SendAsync(HttpMethod.Put, DocPath(doctype, name), changes, $"update {doctype}", ct))?["data"] as JsonObject
        ?? throw new ErpException(ErpErrorKind.BadResponse, $"ERP update {doctype}: response has no data object");

    /// <summary>Submits a draft: <c>PUT</c> with <c>docstatus: 1</c> and the <c>modified</c> value it was read with.</summary>
    public Task<JsonObject> SubmitAsync(string doctype, JsonObject draft, CancellationToken ct) =>
        UpdateAsync(doctype, draft["name"]!.ToString(), new JsonObject { ["docstatus"] = 1, ["modified"] = draft["modified"]?.DeepClone() }, ct);

    /// <summary>Cancels a submitted document.</summary>
    public Task<JsonObject> CancelAsync(string doctype, JsonObject doc, CancellationToken ct) =>
        UpdateAsync(doctype, doc["name"]!.ToString(), new JsonObject { ["docstatus"] = 2, ["modified"] = doc["modified"]?.DeepClone() }, ct);

    /// <summary><c>DELETE /api/resource/{doctype}/{name}</c>.</summary>
    public Task DeleteAsync(string doctype, string name, CancellationToken ct) =>
        SendAsync(HttpMethod.Delete, DocPath(doctype, name), null, $"delete {doctype}", ct);

    /// <summary><c>GET /api/method/{method}</c>; returns <c>message</c>.</summary>
    public async Task<JsonNode?> CallAsync(string method, CancellationToken ct) =>
        (await SendAsync(HttpMethod.Get, $"api/method/{method}", null, method, ct))?["message"];

    private static string DocPath(string doctype, string name) => $"api/resource/{Uri.EscapeDataString(doctype)}/{Uri.EscapeDataString(name)}";

    private async Task<JsonObject?> SendAsync(HttpMethod method, string path, JsonObject? body, string operation, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(JsonOptions), Encoding.UTF8, "application/json");
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (BrokenCircuitException ex)
        {
            log.CircuitOpen(operation);
            throw new ErpException(ErpErrorKind.Unavailable, $"ERP {operation}: circuit open after repeated failures", inner: ex)
            {
                RetryAfter = ex.RetryAfter,
            };
        }
        catch (TimeoutRejectedException ex)
        {
            throw new ErpException(ErpErrorKind.Unavailable, $"ERP {operation}: timed out", inner: ex);
        }
        catch (HttpRequestException ex)
        {
            throw new ErpException(ErpErrorKind.Unavailable, $"ERP {operation}: {ex.Message}", inner: ex);
        }
        catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new ErpException(ErpErrorKind.Unavailable, $"ERP {operation}: timed out", inner: ex);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                var error = FrappeErrors.ToException(response.StatusCode, text, RetryAfter(response), operation);
                log.CallFailed(operation, (int)response.StatusCode, error.RemoteErrorType ?? "", string.Join(" | ", error.Messages));
                throw error;
            }

            try
            {
                return text.Length == 0 ? null : JsonNode.Parse(text) as JsonObject;
            }
            catch (JsonException ex)
            {
                throw new ErpException(ErpErrorKind.BadResponse, $"ERP {operation}: response is not JSON", inner: ex) { StatusCode = (int)response.StatusCode };
            }
        }
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response) =>
        response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
            _ => null,
        };
}

/// <summary>Source-generated log messages of the adapter. Never logs credentials or document bodies.</summary>
internal sealed partial class ErpNextLog(Microsoft.Extensions.Logging.ILogger<ErpNextLog> logger)
{
    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 1, Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "ERP {Operation} failed with {Status} {ExcType}: {Messages}")]
    public partial void CallFailed(string operation, int status, string excType, string messages);

    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 2, Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "ERP {Operation} refused: circuit open")]
    public partial void CircuitOpen(string operation);

    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 3, Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "{DocType} with external reference {ExternalRef} already exists as {Name}; not creating another")]
    public partial void FoundExisting(string docType, string externalRef, string name);

    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 4, Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "Created {DocType} {Name} for external reference {ExternalRef}")]
    public partial void Created(string docType, string name, string externalRef);

    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 5, Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "Creating {DocType} for {ExternalRef} failed transiently ({Kind}); attempt {Attempt} will look it up again first")]
    public partial void CreateRetry(string docType, string externalRef, ErpErrorKind kind, int attempt);
}
