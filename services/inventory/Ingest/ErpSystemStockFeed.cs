using Storebridge.Erp;
using Storebridge.Inventory.Domain;

namespace Storebridge.Inventory.Ingest;

/// <summary>
/// The stock feed over the shared ERP system API (<see cref="IErpSystem"/>). Levels are stamped with the time the read
/// was sent, not the ERP row's <c>modified</c>: what matters for a committed hold is whether the values were read
/// after the commit (they then include the ERP's own reservation), not when the row last changed.
/// </summary>
public sealed class ErpSystemStockFeed(IErpSystem erp, TimeProvider time) : IErpStockFeed
{
    private const int PageSize = 500;

    /// <inheritdoc />
    public bool IsConfigured => true;

    /// <inheritdoc />
    public async Task<ErpStockPage> ReadChangesAsync(string? cursor, CancellationToken cancellationToken)
    {
        var asOf = time.GetUtcNow();
        var changes = await erp.GetStockChangesAsync(cursor, PageSize, cancellationToken);
        return new ErpStockPage([.. changes.Changes.Select(l => new ErpStockLevel(l.Sku, l.WarehouseId, l.OnHand, l.ErpReserved, asOf))], changes.Cursor, changes.HasMore);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ErpStockLevel>> ReadLevelsAsync(IReadOnlyCollection<string> skus, CancellationToken cancellationToken)
    {
        if (skus.Count == 0)
        {
            return [];
        }

        var asOf = time.GetUtcNow();
        var levels = await erp.GetStockLevelsAsync(skus, cancellationToken);
        return [.. levels.Select(l => new ErpStockLevel(l.Sku, l.WarehouseId, l.OnHand, l.ErpReserved, asOf))];
    }
}
