namespace Storebridge.Catalog;

/// <summary>Everything the catalog service registers beyond the shared hosting defaults.</summary>
public static class Extensions
{
    /// <summary>Registers the catalog service's own dependencies.</summary>
    public static IHostApplicationBuilder AddCatalogServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }
}
