using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Storebridge.ServiceDefaults.Security;

/// <summary>
/// Authenticates calls from the Dapr runtime: with <c>APP_API_TOKEN</c> set, daprd sends it in
/// <c>dapr-api-token</c> on every call to the app (deliveries, bindings, proxied invocations).
/// </summary>
internal sealed class DaprAppTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IConfiguration configuration)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string HeaderName = "dapr-api-token";
    public const string TokenVariable = "APP_API_TOKEN";
    public const string RuntimeUser = "dapr-runtime";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var expected = configuration[TokenVariable];
        if (string.IsNullOrEmpty(expected) || !Request.Headers.TryGetValue(HeaderName, out var values))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!SecretComparer.FixedTimeEquals(values.ToString(), expected))
        {
            return Task.FromResult(AuthenticateResult.Fail("The Dapr app token is not valid."));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, RuntimeUser)], Scheme.Name);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }
}
