namespace Storebridge.ServiceDefaults.Security;

/// <summary>How callers of a service's APIs prove who they are (<c>Storebridge:Auth</c>).</summary>
public sealed class AuthOptions
{
    public const string Section = "Storebridge:Auth";

    public AuthMode Mode { get; set; } = AuthMode.ApiKey;

    /// <summary>Client name → key. Filled from the Dapr secret store in deployments, never from a checked-in file.</summary>
    public Dictionary<string, string> ApiKeys { get; set; } = new(StringComparer.Ordinal);

    public JwtSettings Jwt { get; set; } = new();

    /// <summary>Settings for <see cref="AuthMode.Jwt"/>.</summary>
    public sealed class JwtSettings
    {
        public string? Authority { get; set; }
        public string? Audience { get; set; }
        public bool RequireHttpsMetadata { get; set; } = true;
    }
}

/// <summary>Which credential API callers present.</summary>
public enum AuthMode
{
    /// <summary>A shared key in the <c>X-Api-Key</c> header (gRPC metadata <c>x-api-key</c>).</summary>
    ApiKey,

    /// <summary>A JWT bearer token from the configured authority.</summary>
    Jwt,
}

/// <summary>Authentication scheme names.</summary>
public static class AuthSchemes
{
    public const string ApiKey = "ApiKey";
    public const string Jwt = "Bearer";
    public const string DaprAppToken = "DaprAppToken";
}

/// <summary>Authorization policy names.</summary>
public static class AuthPolicies
{
    /// <summary>Only the Dapr runtime (it presents <c>APP_API_TOKEN</c>): pub/sub deliveries and binding triggers.</summary>
    public const string DaprRuntime = "dapr-runtime";
}
