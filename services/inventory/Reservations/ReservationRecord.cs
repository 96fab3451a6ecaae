using Google.Protobuf.WellKnownTypes;
using Storebridge.Contracts.Inventory.V1;

namespace Storebridge.Inventory.Reservations;

/// <summary>A reservation as stored: what was asked, where it was taken from, and where it stands.</summary>
public sealed class ReservationRecord
{
    public string OrderRef { get; set; } = "";

    public string StoreId { get; set; } = "";

    /// <summary>The lines as requested (merged per SKU), to recognise a repeated call.</summary>
    public List<RequestedLine> Requested { get; set; } = [];

    /// <summary>SKU × warehouse × units taken.</summary>
    public List<AllocatedLine> Lines { get; set; } = [];

    public ReservationStatus Status { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? ClosedAt { get; set; }

    public string? ErpSalesOrderId { get; set; }

    public string? Reason { get; set; }

    /// <summary>The SKUs the reservation touches (one state document each).</summary>
    public IEnumerable<string> Skus => Lines.Select(l => l.Sku).Distinct(StringComparer.Ordinal);

    /// <summary>The contract form.</summary>
    public Reservation ToContract()
    {
        var reservation = new Reservation
        {
            OrderRef = OrderRef,
            StoreId = StoreId,
            Status = Status,
            CreatedAt = Timestamp.FromDateTimeOffset(CreatedAt),
            ExpiresAt = Timestamp.FromDateTimeOffset(ExpiresAt),
            ErpSalesOrderId = ErpSalesOrderId ?? "",
        };
        reservation.Lines.AddRange(Lines.Select(l => new ReservationLine { Sku = l.Sku, WarehouseId = l.WarehouseId, Quantity = l.Quantity }));
        return reservation;
    }
}

/// <summary>A requested SKU and quantity.</summary>
/// <param name="Sku">SKU.</param>
/// <param name="Quantity">Units.</param>
public sealed record RequestedLine(string Sku, int Quantity);

/// <summary>Units of a SKU taken from one warehouse.</summary>
/// <param name="Sku">SKU.</param>
/// <param name="WarehouseId">Warehouse.</param>
/// <param name="Quantity">Units.</param>
public sealed record AllocatedLine(string Sku, string WarehouseId, int Quantity);
