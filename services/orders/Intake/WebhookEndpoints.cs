using System.Security.Cryptography;
using System.Text;
using Storebridge.ServiceDefaults;
using Storebridge.ServiceDefaults.Exceptions;
using Storebridge.WooCommerce;
using Storebridge.WooCommerce.Webhooks;

namespace Storebridge.Orders.Intake;

/// <summary>
/// <c>POST /webhooks/woocommerce/{storeId}</c>: WooCommerce's signed order deliveries. The signature is the caller's
/// credential, so the endpoint needs no API key; it is checked in constant time on the raw bytes before any parsing.
/// Every refused delivery is kept with its reason in the exception queue.
/// </summary>
public static partial class WebhookEndpoints
{
    public const string Route = "/webhooks/woocommerce/{storeId}";

    private static readonly HashSet<string> OrderTopics = new(StringComparer.Ordinal) { "order.created", "order.updated", "order.restored" };

    public static IEndpointRouteBuilder MapWooCommerceWebhooks(this IEndpointRouteBuilder app)
    {
        app.MapPost(Route, HandleAsync).AllowAnonymous().WithOwnBodyLimit();
        return app;
    }

    private static async Task<IResult> HandleAsync(
        string storeId,
        HttpRequest request,
        IWooCommerceClientFactory stores,
        OrderIntake intake,
        ExceptionQueue exceptions,
        IntakeMetrics metrics,
        DispatchPacer pacer,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var body = await request.ReadWebhookBodyAsync(WooWebhookVerifier.DefaultMaxBodyBytes, cancellationToken);
        string? Header(string name) => request.Headers.TryGetValue(name, out var value) ? value.ToString() : null;

        if (!stores.StoreIds.Contains(storeId, StringComparer.OrdinalIgnoreCase))
        {
            await KeepRejectedAsync(exceptions, metrics, storeId, body, Header, "unknown-store", $"No store '{storeId}' is configured.", cancellationToken);
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown store", detail: $"No store '{storeId}' is configured.");
        }

        var verdict = WooWebhookVerifier.Verify(body.Bytes, request.ContentType, Header, stores.GetStore(storeId).WebhookSecret, WooWebhookVerifier.DefaultMaxBodyBytes);
        switch (verdict.Outcome)
        {
            case WebhookOutcome.Ping:
                return Results.Ok(new { status = "pong", webhookId = verdict.PingWebhookId });

            case WebhookOutcome.Rejected:
                await KeepRejectedAsync(exceptions, metrics, storeId, body, Header, verdict.Rejection.ToString(), verdict.Reason, cancellationToken);
                return Results.Problem(statusCode: verdict.StatusCode, title: "Webhook delivery rejected", detail: verdict.Reason);
        }

        var topic = verdict.Headers.Topic!;
        if (!OrderTopics.Contains(topic))
        {
            LogIgnoredTopic(loggers.CreateLogger(typeof(WebhookEndpoints)), storeId, topic);
            return Results.Ok(new { status = "ignored", topic });
        }

        // Counted once the signature matched, so unsigned requests (however slow) cannot hold workflow starts back.
        using var answering = pacer.EnterWebhook();

        // A signed but malformed order is kept and answered 2xx: a 4xx would count towards WooCommerce disabling
        // the webhook, and every later good order would be lost with it.
        var outcome = await intake.IngestAsync(storeId, body.Bytes, "webhook", topic, verdict.Headers.DeliveryId, cancellationToken);
        return Results.Ok(new { status = outcome.ToString().ToLowerInvariant() });
    }

    private static Task KeepRejectedAsync(
        ExceptionQueue exceptions, IntakeMetrics metrics, string storeId, WebhookBody body, Func<string, string?> header,
        string rejection, string reason, CancellationToken cancellationToken)
    {
        metrics.Rejected(storeId, rejection);
        var details = new Dictionary<string, string> { ["rejection"] = rejection, ["bodyBytes"] = body.TotalLength.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        foreach (var name in new[] { WooWebhookVerifier.TopicHeader, WooWebhookVerifier.DeliveryIdHeader, WooWebhookVerifier.IdHeader, WooWebhookVerifier.SourceHeader, "Content-Type" })
        {
            if (header(name) is { } value)
            {
                details[name] = value;
            }
        }

        details["signaturePresent"] = (header(WooWebhookVerifier.SignatureHeader) is not null).ToString();
        return exceptions.AddAsync(new ExceptionRecord
        {
            // The same bad delivery sent again is one record seen twice.
            Id = $"webhook-{storeId}-{header(WooWebhookVerifier.DeliveryIdHeader) ?? Convert.ToHexStringLower(SHA256.HashData(body.Bytes))[..16]}",
            Kind = "webhook-rejected",
            Reason = reason,
            StoreId = storeId,
            Payload = body.Truncated ? null : Encoding.UTF8.GetString(body.Bytes),
            Details = details,
        }, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Store {StoreId} sent topic {Topic}, which orders does not handle")]
    private static partial void LogIgnoredTopic(ILogger logger, string storeId, string topic);
}
