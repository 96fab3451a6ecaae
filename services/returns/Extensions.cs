namespace Storebridge.Returns;

/// <summary>Everything the returns service registers beyond the shared hosting defaults.</summary>
public static class Extensions
{
    /// <summary>Registers the returns service's own dependencies.</summary>
    public static IHostApplicationBuilder AddReturnsServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }
}
