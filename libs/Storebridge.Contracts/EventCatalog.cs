using System.Collections.Frozen;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using CatalogEvents = Storebridge.Contracts.Catalog.V1;
using ErpEvents = Storebridge.Contracts.Erp.V1;
using FinanceEvents = Storebridge.Contracts.Finance.V1;
using InventoryEvents = Storebridge.Contracts.Inventory.V1;
using OrdersEvents = Storebridge.Contracts.Orders.V1;
using ReturnsEvents = Storebridge.Contracts.Returns.V1;

namespace Storebridge.Contracts;

/// <summary>A canonical event: the topic it is published on and the protobuf message it carries.</summary>
public sealed record EventDefinition(string Topic, MessageDescriptor Descriptor)
{
    /// <summary>CloudEvent <c>type</c>: the message's full protobuf name, version included (<c>storebridge.orders.v1.OrderConfirmed</c>).</summary>
    public string CloudEventType => Descriptor.FullName;
}

/// <summary>
/// The one table of topic ⇄ event message. Publishers look up the topic of a message, subscribers the
/// message of a CloudEvent type; tests check that every message in an events.proto is listed.
/// </summary>
public static class EventCatalog
{
    public static IReadOnlyList<EventDefinition> All { get; } =
    [
        new(Topics.OrdersReceived, OrdersEvents.OrderReceived.Descriptor),
        new(Topics.OrdersConfirmed, OrdersEvents.OrderConfirmed.Descriptor),
        new(Topics.OrdersOnHold, OrdersEvents.OrderOnHold.Descriptor),
        new(Topics.OrdersRejected, OrdersEvents.OrderRejected.Descriptor),
        new(Topics.OrdersPaid, OrdersEvents.OrderPaid.Descriptor),
        new(Topics.OrdersShipped, OrdersEvents.OrderShipped.Descriptor),
        new(Topics.OrdersCompleted, OrdersEvents.OrderCompleted.Descriptor),
        new(Topics.OrdersCancelled, OrdersEvents.OrderCancelled.Descriptor),

        new(Topics.InventoryAvailabilityChanged, InventoryEvents.AvailabilityChanged.Descriptor),
        new(Topics.InventoryReserved, InventoryEvents.StockReserved.Descriptor),
        new(Topics.InventoryReservationCommitted, InventoryEvents.ReservationCommitted.Descriptor),
        new(Topics.InventoryReservationReleased, InventoryEvents.ReservationReleased.Descriptor),
        new(Topics.InventoryReservationExpired, InventoryEvents.ReservationExpired.Descriptor),

        new(Topics.CatalogItemPublished, CatalogEvents.ItemPublished.Descriptor),
        new(Topics.CatalogPriceChanged, CatalogEvents.PriceChanged.Descriptor),
        new(Topics.CatalogPublishFailed, CatalogEvents.ItemPublishFailed.Descriptor),

        new(Topics.FinanceInvoicePosted, FinanceEvents.InvoicePosted.Descriptor),
        new(Topics.FinancePaymentRecorded, FinanceEvents.PaymentRecorded.Descriptor),
        new(Topics.FinanceCreditNotePosted, FinanceEvents.CreditNotePosted.Descriptor),
        new(Topics.FinanceTotalsMismatch, FinanceEvents.TotalsMismatch.Descriptor),

        new(Topics.ReturnsRequested, ReturnsEvents.ReturnRequested.Descriptor),
        new(Topics.ReturnsAuthorised, ReturnsEvents.ReturnAuthorised.Descriptor),
        new(Topics.ReturnsReceived, ReturnsEvents.ReturnReceived.Descriptor),
        new(Topics.ReturnsInspected, ReturnsEvents.ReturnInspected.Descriptor),
        new(Topics.ReturnsRefunded, ReturnsEvents.ReturnRefunded.Descriptor),
        new(Topics.ReturnsRejected, ReturnsEvents.ReturnRejected.Descriptor),

        new(Topics.ErpStockChanged, ErpEvents.StockChanged.Descriptor),
        new(Topics.ErpShipmentCreated, ErpEvents.ShipmentCreated.Descriptor),
        new(Topics.ErpItemChanged, ErpEvents.ItemChanged.Descriptor),
        new(Topics.ErpCustomerChanged, ErpEvents.CustomerChanged.Descriptor),
    ];

    private static readonly FrozenDictionary<string, EventDefinition> ByType =
        All.ToFrozenDictionary(e => e.CloudEventType, StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, EventDefinition> ByTopic =
        All.ToFrozenDictionary(e => e.Topic, StringComparer.Ordinal);

    /// <summary>The definition of an event message type.</summary>
    public static EventDefinition For<T>() where T : IMessage<T>, new() => ForMessage(new T().Descriptor);

    /// <summary>The definition of an event message descriptor.</summary>
    public static EventDefinition ForMessage(MessageDescriptor descriptor) =>
        ByType.TryGetValue(descriptor.FullName, out var definition)
            ? definition
            : throw new ArgumentException($"{descriptor.FullName} is not a canonical event.", nameof(descriptor));

    /// <summary>The definition for a CloudEvent <c>type</c>, or null when unknown.</summary>
    public static EventDefinition? ForCloudEventType(string type) => ByType.GetValueOrDefault(type);

    /// <summary>The definition of a topic, or null when unknown.</summary>
    public static EventDefinition? ForTopic(string topic) => ByTopic.GetValueOrDefault(topic);
}
