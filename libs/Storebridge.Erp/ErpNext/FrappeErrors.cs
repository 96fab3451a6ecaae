using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Storebridge.Erp.ErpNext;

/// <summary>
/// Reads Frappe error responses: <c>exc_type</c>, <c>exception</c> and <c>_server_messages</c> — a JSON string
/// holding a JSON list of JSON strings, each a message object — and maps them onto <see cref="ErpException"/>.
/// </summary>
internal static partial class FrappeErrors
{
    /// <summary>Decodes a Frappe error body. Tolerates HTML (a proxy's error page) and plain text.</summary>
    public static (string? ExcType, string? Exception, IReadOnlyList<string> Messages) Decode(string body)
    {
        JsonObject? root;
        try
        {
            root = JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            return (null, null, []);
        }

        if (root is null)
        {
            return (null, null, []);
        }

        var messages = new List<string>();
        if (root["_server_messages"] is JsonValue raw && raw.TryGetValue<string>(out var serverMessages))
        {
            foreach (var entry in ParseList(serverMessages))
            {
                var text = entry;
                try
                {
                    if (JsonNode.Parse(entry) is JsonObject message)
                    {
                        text = message["message"]?.ToString() ?? entry;
                    }
                }
                catch (JsonException)
                {
                    // An older Frappe logs plain strings; keep them as they are.
                }

                var clean = Clean(text);
                if (clean.Length > 0)
                {
                    messages.Add(clean);
                }
            }
        }

        // Frappe v15 API v2 style: {"errors": [{"type": "...", "message": "..."}]}
        if (root["errors"] is JsonArray errors)
        {
            messages.AddRange(errors.OfType<JsonObject>().Select(e => Clean(e["message"]?.ToString() ?? "")).Where(m => m.Length > 0));
        }

        var excType = root["exc_type"]?.ToString();
        var exception = root["exception"]?.ToString();
        if (messages.Count == 0 && exception is { Length: > 0 })
        {
            var colon = exception.IndexOf(": ", StringComparison.Ordinal);
            var text = Clean(colon >= 0 ? exception[(colon + 2)..] : exception);
            if (text.Length > 0)
            {
                messages.Add(text);
            }
        }

        return (excType, exception, messages);
    }

    public static ErpException ToException(HttpStatusCode status, string body, TimeSpan? retryAfter, string operation)
    {
        var (excType, _, messages) = Decode(body);
        var code = (int)status;
        var kind = code switch
        {
            401 => ErpErrorKind.Unauthenticated,
            403 => ErpErrorKind.PermissionDenied,
            404 => ErpErrorKind.NotFound,
            409 => ErpErrorKind.Conflict,
            429 => ErpErrorKind.RateLimited,
            417 when excType == "TimestampMismatchError" => ErpErrorKind.Concurrency,
            417 when excType == "RateLimitExceededError" => ErpErrorKind.RateLimited,
            417 when excType is "DuplicateEntryError" or "NameError" => ErpErrorKind.Conflict,
            417 or 400 or 413 or 422 => ErpErrorKind.Validation,
            >= 500 => ErpErrorKind.Unavailable,
            _ => ErpErrorKind.BadResponse,
        };
        var summary = messages.Count > 0 ? string.Join(" ", messages) : $"HTTP {code}";
        return new ErpException(kind, $"ERP {operation} failed ({code}{(excType is null ? "" : " " + excType)}): {summary}", messages)
        {
            StatusCode = code,
            RemoteErrorType = excType,
            RetryAfter = retryAfter,
        };
    }

    private static List<string> ParseList(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<List<string>>(json) ?? [];
        }
        catch (JsonException)
        {
            return [json];
        }
    }

    /// <summary>Messages carry HTML for the desk UI (&lt;br&gt;, &lt;b&gt;, entities); callers get text.</summary>
    private static string Clean(string text)
    {
        var withBreaks = BreakTag().Replace(text, " ");
        var noTags = AnyTag().Replace(withBreaks, "");
        return Spaces().Replace(WebUtility.HtmlDecode(noTags), " ").Trim();
    }

    [GeneratedRegex("<br\\s*/?>", RegexOptions.IgnoreCase)]
    private static partial Regex BreakTag();

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex AnyTag();

    [GeneratedRegex("\\s+")]
    private static partial Regex Spaces();
}
