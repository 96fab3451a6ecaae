using Storebridge.Inventory.Domain;

namespace Storebridge.Inventory.Ingest;

/// <summary>One page of ERP stock changes.</summary>
/// <param name="Levels">Stock levels changed since the cursor.</param>
/// <param name="NextCursor">Where the next read starts.</param>
/// <param name="HasMore">Whether another page is ready at once.</param>
public sealed record ErpStockPage(IReadOnlyList<ErpStockLevel> Levels, string? NextCursor, bool HasMore);

/// <summary>
/// The ERP's stock change feed as the inventory needs it. A small seam of this service: the shared ERP system API
/// (<c>libs/Storebridge.Erp</c>) can implement it once it exists.
/// </summary>
public interface IErpStockFeed
{
    /// <summary>Whether a feed is configured.</summary>
    bool IsConfigured { get; }

    /// <summary>Stock levels changed since <paramref name="cursor"/> (null: everything).</summary>
    Task<ErpStockPage> ReadChangesAsync(string? cursor, CancellationToken cancellationToken);
}
