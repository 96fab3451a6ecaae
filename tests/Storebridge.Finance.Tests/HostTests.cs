extern alias finance;
using Storebridge.Testing;

namespace Storebridge.Finance.Tests;

public class HostTests : ServiceHostContract<finance::Program>;
