namespace Storebridge.Finance;

/// <summary>Everything the finance service registers beyond the shared hosting defaults.</summary>
public static class Extensions
{
    /// <summary>Registers the finance service's own dependencies.</summary>
    public static IHostApplicationBuilder AddFinanceServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }
}
