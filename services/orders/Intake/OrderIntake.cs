using System.Text;
using System.Text.Json;
using Dapr.Client;
using Google.Protobuf;
using Storebridge.Contracts;
using Storebridge.ServiceDefaults.Exceptions;
using Storebridge.WooCommerce;
using Storebridge.WooCommerce.Mapping;
using Storebridge.WooCommerce.Models;

namespace Storebridge.Orders.Intake;

/// <summary>What intake did with one order version.</summary>
public enum IntakeOutcome
{
    /// <summary>New version: in the inbox and handed on to its workflow.</summary>
    Accepted,

    /// <summary>That version was already in the inbox; nothing new starts.</summary>
    Duplicate,

    /// <summary>The order is malformed; it is kept in the exception queue.</summary>
    Rejected,
}

/// <summary>
/// The hand-off from the inbox to the workflow dispatcher, published to the service itself. It carries the canonical
/// order (protobuf bytes, as mapped at intake), so the dispatcher neither reads the inbox entry back nor maps it again;
/// the inbox keeps the raw delivery for replays and audits.
/// </summary>
public sealed record IntakeAccepted(string InboxKey, string StoreId, long OrderId, string DateModifiedGmt, byte[]? Order = null);

/// <summary>
/// Takes store order JSON from any source (signed webhook, reconciliation sweep) into the inbox and hands new
/// versions on through a durable self-published event, so the caller is answered without waiting on the workflow,
/// the ERP or the store — and nothing is lost if the workflow cannot start right now.
/// </summary>
public sealed partial class OrderIntake(
    OrderInbox inbox,
    ExceptionQueue exceptions,
    DaprClient dapr,
    IntakeMetrics metrics,
    TimeProvider time,
    ILogger<OrderIntake> logger)
{
    /// <summary>Takes one store order (its JSON, UTF-8, as the store sent or listed it) into the inbox.</summary>
    public async Task<IntakeOutcome> IngestAsync(string storeId, ReadOnlyMemory<byte> orderJson, string source, string? topic, string? deliveryId, CancellationToken cancellationToken)
    {
        var raw = Encoding.UTF8.GetString(orderJson.Span);
        // Read once: the version comes from the same store order the canonical order was mapped from.
        var mapped = WooOrderMapper.Map(storeId, orderJson.Span);
        if (!mapped.Succeeded || !TryReadVersion(mapped.Source!, out var orderId, out var modified))
        {
            var reason = mapped.Error ?? "order JSON has no id or date_modified_gmt";
            await exceptions.AddAsync(new ExceptionRecord
            {
                Id = $"order-malformed-{storeId}-{mapped.Source?.Id?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? deliveryId ?? Guid.NewGuid().ToString("n")}",
                Kind = "order-malformed",
                Reason = reason,
                StoreId = storeId,
                Payload = raw,
                Details = Details(source, topic, deliveryId),
            }, cancellationToken);
            metrics.Rejected(storeId, "order-malformed");
            return IntakeOutcome.Rejected;
        }

        var canonical = mapped.Order!.ToByteArray();
        var entry = new InboxEntry(storeId, orderId, modified, Fingerprint(canonical), raw, source, topic, deliveryId, time.GetUtcNow());
        if (!await inbox.TryAddAsync(entry, cancellationToken))
        {
            metrics.Duplicate(storeId, source);
            LogDuplicate(logger, storeId, orderId, modified, source);
            return IntakeOutcome.Duplicate;
        }

        // Durable hand-off: the broker keeps and retries it; a failure here leaves the order for the sweep,
        // which feeds every version the workflow has not seen yet.
        await dapr.PublishEventAsync(PubSub.Name, Topics.Internal.OrdersIntakeAccepted,
            new IntakeAccepted(entry.Key, storeId, orderId, modified, canonical), cancellationToken);
        metrics.Accepted(storeId, source);
        LogAccepted(logger, storeId, orderId, modified, source);
        return IntakeOutcome.Accepted;
    }

    /// <summary>
    /// A short hash of the canonical order: the same for every copy of a version whatever its source (webhook body or
    /// the sweep's listing), different when anything Storebridge uses changed. Hashes the protobuf encoding: map
    /// entries are written in the mapper's insertion order (the store's meta_data order), as the JSON form did, and
    /// formatting JSON cost a tenth of intake's CPU.
    /// </summary>
    public static string Fingerprint(Contracts.Orders.V1.Order order) => Fingerprint(order.ToByteArray());

    private static string Fingerprint(byte[] canonical) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(canonical))[..16];

    private static Dictionary<string, string> Details(string source, string? topic, string? deliveryId)
    {
        var details = new Dictionary<string, string> { ["source"] = source };
        if (topic is not null)
        {
            details["topic"] = topic;
        }

        if (deliveryId is not null)
        {
            details["deliveryId"] = deliveryId;
        }

        return details;
    }

    /// <summary>
    /// The order's identity and version: its id and <c>date_modified_gmt</c>, to the second in UTC, so a webhook body and
    /// the sweep's listing name the same version identically.
    /// </summary>
    public static bool TryReadVersion(WooOrder order, out long id, out string modifiedGmt)
    {
        id = order.Id ?? 0;
        modifiedGmt = order.DateModifiedGmt is { } modified ? WooJson.FormatDate(modified) : "";
        return order.Id is not null && order.DateModifiedGmt is not null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Order {StoreId}-{OrderId} version {Modified} accepted from {Source}")]
    private static partial void LogAccepted(ILogger logger, string storeId, long orderId, string modified, string source);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Order {StoreId}-{OrderId} version {Modified} from {Source} is a duplicate")]
    private static partial void LogDuplicate(ILogger logger, string storeId, long orderId, string modified, string source);
}
