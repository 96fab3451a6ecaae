using System.Text.Json;
using System.Text.Json.Nodes;

namespace Storebridge.Sandbox.Erp.Frappe;

/// <summary>
/// An error as Frappe raises it: an exception class (which decides the HTTP status) and the message the user
/// sees. <see cref="ToBody"/> shapes the response the way Frappe's <c>report_error</c> does.
/// </summary>
internal sealed class FrappeException(int statusCode, string excType, string message, string title = "Message") : Exception(message)
{
    /// <summary>Messages logged before the one raised (ERPNext's credit check logs one, then throws another).</summary>
    public IReadOnlyList<string> EarlierMessages { get; init; } = [];

    public int StatusCode { get; } = statusCode;

    public string ExcType { get; } = excType;

    public string Title { get; } = title;

    public TimeSpan? RetryAfter { get; init; }

    public static FrappeException Validation(string message, string excType = "ValidationError", string title = "Message") => new(417, excType, message, title);

    public static FrappeException Mandatory(string doctype, string label) =>
        new(417, "MandatoryError", $"Error: Value missing for {doctype}: {label}", "Missing Fields");

    public static FrappeException Link(string doctype, string value) =>
        new(417, "LinkValidationError", $"Could not find {doctype}: {value}");

    public static FrappeException NotFound(string doctype, string name) =>
        new(404, "DoesNotExistError", $"{doctype} {name} not found");

    public static FrappeException Duplicate(string doctype, string name) =>
        new(409, "DuplicateEntryError", $"{doctype} {name} already exists", "Duplicate Name");

    public static FrappeException Timestamp(string doctype, string name) =>
        new(417, "TimestampMismatchError",
            $"Error: Document has been modified after you have opened it ({doctype}, {name}). Please refresh to get the latest document.",
            "Message");

    public static FrappeException Permission(string message) => new(403, "PermissionError", message, "Not Permitted");

    public static FrappeException Authentication(string message) => new(401, "AuthenticationError", message, "Not Permitted");

    /// <summary>The JSON body: exc_type, exception (the traceback's last line), exc and _server_messages (a JSON string of JSON strings).</summary>
    public JsonObject ToBody()
    {
        var message = new JsonObject
        {
            ["message"] = Message,
            ["title"] = Title,
            ["indicator"] = "red",
            ["raise_exception"] = 1,
            ["__frappe_exc_id"] = Guid.NewGuid().ToString("N")[..10],
        };
        var exception = $"frappe.exceptions.{ExcType}: {Message}";
        var traceback = $"Traceback (most recent call last):\n  File \"apps/frappe/frappe/app.py\", line 114, in application\n    response = frappe.api.handle(request)\n{exception}\n";
        return new JsonObject
        {
            ["exception"] = exception,
            ["exc_type"] = ExcType,
            ["exc"] = JsonSerializer.Serialize(new[] { traceback }, Json.Options),
            ["_server_messages"] = JsonSerializer.Serialize(EarlierMessages
                .Select(m => new JsonObject { ["message"] = m, ["title"] = "Message", ["indicator"] = "orange" }.ToJsonString(Json.Options))
                .Append(message.ToJsonString(Json.Options))
                .ToArray(), Json.Options),
        };
    }
}
