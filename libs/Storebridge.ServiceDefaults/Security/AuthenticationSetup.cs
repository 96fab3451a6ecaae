using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Storebridge.ServiceDefaults.Security;

/// <summary>Every endpoint needs an authenticated caller unless it says otherwise (health, signed webhooks).</summary>
public static class AuthenticationSetup
{
    internal static void AddStorebridgeAuthentication(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(AuthOptions.Section);
        builder.Services.Configure<AuthOptions>(section);
        var settings = section.Get<AuthOptions>() ?? new AuthOptions();

        var callerScheme = settings.Mode == AuthMode.Jwt ? AuthSchemes.Jwt : AuthSchemes.ApiKey;
        var authentication = builder.Services.AddAuthentication(callerScheme)
            .AddScheme<AuthenticationSchemeOptions, DaprAppTokenAuthenticationHandler>(AuthSchemes.DaprAppToken, null);

        if (settings.Mode == AuthMode.Jwt)
        {
            authentication.AddJwtBearer(AuthSchemes.Jwt, jwt =>
            {
                jwt.Authority = settings.Jwt.Authority;
                jwt.Audience = settings.Jwt.Audience;
                jwt.RequireHttpsMetadata = settings.Jwt.RequireHttpsMetadata;
            });
        }
        else
        {
            authentication.AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(AuthSchemes.ApiKey, null);
        }

        builder.Services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder(callerScheme, AuthSchemes.DaprAppToken)
                .RequireAuthenticatedUser()
                .Build())
            .AddPolicy(AuthPolicies.DaprRuntime, policy => policy
                .AddAuthenticationSchemes(AuthSchemes.DaprAppToken)
                .RequireAuthenticatedUser());
    }

    /// <summary>Restricts an endpoint to calls from the Dapr runtime (pub/sub deliveries, binding triggers).</summary>
    public static TBuilder RequireDaprRuntime<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(AuthPolicies.DaprRuntime);
}
