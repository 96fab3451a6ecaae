namespace Storebridge.Inventory.Domain;

/// <summary>
/// Everything Storebridge knows about one SKU, kept as one state document so that a reservation line, an ERP
/// snapshot and the published values of that SKU change together under one ETag.
/// </summary>
public sealed class SkuStock
{
    public string Sku { get; set; } = "";

    /// <summary>The ERP's last snapshot per warehouse.</summary>
    public Dictionary<string, WarehouseStock> Warehouses { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Open holds (held or committed-but-not-yet-covered) by order reference.</summary>
    public Dictionary<string, Hold> Holds { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Last availability announced per store (so an event goes out only when the value changes).</summary>
    public Dictionary<string, long> Published { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Bumped on every write; orders store pushes of the same SKU.</summary>
    public long Version { get; set; }

    /// <summary>Events of changes to this document not yet known to be published (null when none).</summary>
    public List<OutboxEvent>? Outbox { get; set; }
}

/// <summary>One ERP stock row (ERPNext <c>Bin</c>): physical and ERP-reserved quantity at a point in time.</summary>
public sealed class WarehouseStock
{
    public long OnHand { get; set; }

    public long ErpReserved { get; set; }

    /// <summary>When the ERP's snapshot was taken.</summary>
    public DateTimeOffset AsOf { get; set; }
}

/// <summary>The part of one reservation that concerns one SKU.</summary>
public sealed class Hold
{
    public string StoreId { get; set; } = "";

    /// <summary>Warehouse → units.</summary>
    public Dictionary<string, int> Quantities { get; set; } = new(StringComparer.Ordinal);

    public HoldState State { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? CommittedAt { get; set; }
}

/// <summary>Whether the ERP knows about a hold yet.</summary>
public enum HoldState
{
    /// <summary>Only Storebridge holds the stock; it expires unless committed.</summary>
    Held,

    /// <summary>The ERP acknowledged the order; the hold counts until an ERP snapshot taken after the commit arrives.</summary>
    Committed,
}

/// <summary>An ERP stock level to apply to a SKU document.</summary>
/// <param name="Sku">The SKU.</param>
/// <param name="WarehouseId">The warehouse.</param>
/// <param name="OnHand">Physical quantity.</param>
/// <param name="ErpReserved">Quantity the ERP holds for its own (acknowledged) orders.</param>
/// <param name="AsOf">When the ERP took the snapshot.</param>
public sealed record ErpStockLevel(string Sku, string WarehouseId, long OnHand, long ErpReserved, DateTimeOffset AsOf);
