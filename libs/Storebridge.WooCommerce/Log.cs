using Microsoft.Extensions.Logging;

namespace Storebridge.WooCommerce;

internal static partial class Log
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Store {StoreId}: batch {Resource} {Operation} item {Index} (id {Id}) failed: {Code} {ErrorMessage}")]
    public static partial void BatchItemFailed(ILogger logger, string storeId, string resource, string operation, int index, long id, string code, string errorMessage);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Store {StoreId}: batch of {Count} refused as too large; splitting to {NewSize}")]
    public static partial void BatchTooLarge(ILogger logger, string storeId, int count, int newSize);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Debug, Message = "Store {StoreId}: {Method} {Path} -> {Status}")]
    public static partial void Call(ILogger logger, string storeId, string method, string path, int status);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "Store {StoreId}: webhook {WebhookId} re-activated (was {Status})")]
    public static partial void WebhookReactivated(ILogger logger, string storeId, long webhookId, string status);
}
