using Storebridge.Erp;

namespace Storebridge.Catalog;

/// <summary>Everything the catalog service registers beyond the shared hosting defaults.</summary>
public static class Extensions
{
    /// <summary>The ERP system API: prices and credit are the ERP's, read on every decision.</summary>
    public static IHostApplicationBuilder AddCatalogServices(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<CatalogOptions>(builder.Configuration.GetSection(CatalogOptions.Section));
        builder.Services.AddErpNext(builder.Configuration);
        return builder;
    }
}

/// <summary>Catalog settings (<c>Catalog</c> section).</summary>
public sealed class CatalogOptions
{
    public const string Section = "Catalog";

    /// <summary>Price list for customers whose ERP account names none.</summary>
    public string DefaultPriceList { get; set; } = "Standard Selling";
}
