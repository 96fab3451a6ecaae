using Storebridge.Testing;

namespace Storebridge.Finance.Tests;

public class HostTests : ServiceHostContract<Program>;
